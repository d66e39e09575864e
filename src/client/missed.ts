// The missed-calls list: newest first, one entry per call, bounded. Entries
// arriving from other tabs are validated before they are kept.
import type { CrmMatch } from '../protocol/index.ts';
import type { CallView } from './calls.ts';

export interface MissedEntry {
  callKey: string;
  line: string;
  number: string;
  /** The number in E.164 when the manager knew it (shown formatted; `number` is the tooltip). */
  e164?: string;
  /** Best CRM match's name, if any. */
  name?: string;
  match?: CrmMatch;
  at: string;
}

export const MAX_MISSED = 50;

export function missedEntryOf(call: CallView): MissedEntry {
  const match = call.matches[0];
  return { callKey: call.callKey, line: call.line, number: call.number, at: call.startedAt, ...(call.e164 === undefined ? {} : { e164: call.e164 }), ...(match ? { name: match.name, match } : {}) };
}

function isMatch(v: unknown): v is CrmMatch {
  const m = v as Record<string, unknown> | null;
  return typeof m === 'object' && m !== null && typeof m.entity === 'string' && typeof m.id === 'string' && typeof m.name === 'string' && typeof m.field === 'string';
}

/** An entry from another tab, or undefined if it is not one. */
export function parseMissedEntry(v: unknown): MissedEntry | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const e = v as Record<string, unknown>;
  if (typeof e.callKey !== 'string' || typeof e.line !== 'string' || typeof e.number !== 'string' || typeof e.at !== 'string') return undefined;
  if (e.callKey.length > 384 || e.number.length > 64 || e.line.length > 384) return undefined;
  const match = isMatch(e.match) ? e.match : undefined;
  const e164 = typeof e.e164 === 'string' && /^\+[1-9]\d{1,14}$/.test(e.e164) ? e.e164 : undefined;
  return { callKey: e.callKey, line: e.line, number: e.number, at: e.at, ...(e164 === undefined ? {} : { e164 }), ...(match ? { name: match.name, match } : {}) };
}

export class MissedList {
  private entries: MissedEntry[] = [];

  constructor(private readonly max = MAX_MISSED) {}

  /** Adds an entry; false when the call is already listed. */
  add(entry: MissedEntry): boolean {
    if (this.entries.some((e) => e.callKey === entry.callKey)) return false;
    this.entries.push(entry);
    this.entries.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    if (this.entries.length > this.max) this.entries.length = this.max;
    return true;
  }

  remove(callKey: string): void {
    this.entries = this.entries.filter((e) => e.callKey !== callKey);
  }

  all(): readonly MissedEntry[] {
    return this.entries;
  }
}
