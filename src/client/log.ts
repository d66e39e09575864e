// The diagnostic log, like the manual's OutCallLog (Ctrl+click on the status
// icon): effective settings, each connect / send / receive step, errors. A
// bounded ring so a tab open for days does not grow without limit. Secrets
// never enter it: the nonce and session record id are cut to a prefix.

export type LogLevel = 'info' | 'send' | 'receive' | 'error';

export interface LogEntry {
  /** Epoch ms. */
  at: number;
  level: LogLevel;
  text: string;
}

export const MAX_LOG_ENTRIES = 500;

export class DiagnosticLog {
  private readonly entries: LogEntry[] = [];
  private readonly listeners = new Set<(e: LogEntry) => void>();

  constructor(
    private readonly now: () => number,
    private readonly max = MAX_LOG_ENTRIES,
  ) {}

  add(level: LogLevel, text: string): void {
    const e = { at: this.now(), level, text: text.length > 2000 ? `${text.slice(0, 2000)}…` : text };
    this.entries.push(e);
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
    for (const l of this.listeners) l(e);
  }

  info(text: string): void {
    this.add('info', text);
  }

  error(text: string): void {
    this.add('error', text);
  }

  all(): readonly LogEntry[] {
    return this.entries;
  }

  onEntry(listener: (e: LogEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** Hides all but the first characters of a secret-ish value (nonce, record id). */
export function redact(value: string, keep = 6): string {
  return value.length <= keep ? '…' : `${value.slice(0, keep)}…`;
}

/** A wire message as the log shows it, with the proof's values cut short. */
export function loggable(xml: string): string {
  return xml
    .replace(/^<\?xml[^>]*\?>/, '')
    .replace(/<(nonce|sessionRecordId)>([^<]*)<\/\1>/g, (_m, tag: string, v: string) => `<${tag}>${redact(v)}</${tag}>`);
}
