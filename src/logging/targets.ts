// Where finished log lines go. A target takes one JSON line at a time; the
// logger swaps targets while running when `LogArt` / `LogFile` change.
import { execFile } from 'node:child_process';

export interface LogTarget {
  /** A short description for "logging to …" lines. */
  readonly describe: string;
  write(line: string): void;
  close(): Promise<void>;
}

export interface LineSink {
  write(chunk: string): unknown;
}

/** stdout: the journal under systemd, the console otherwise. Never closed: the process owns it. */
export function streamTarget(sink: LineSink, describe = 'stdout'): LogTarget {
  return {
    describe,
    write: (line) => {
      sink.write(line);
    },
    close: async () => {},
  };
}

export { openFileTarget } from './file-target.ts';

export type EventCreate = (args: readonly string[]) => Promise<void>;

const runEventCreate: EventCreate = (args) =>
  new Promise((resolve, reject) => {
    execFile('eventcreate', [...args], { windowsHide: true, timeout: 10_000 }, (err) => (err ? reject(err) : resolve()));
  });

/** Lines waiting for `eventcreate`; beyond this they are counted and reported, not queued. */
export const EVENT_QUEUE_LIMIT = 1000;

const EVENT_TYPES: Record<number, string> = { 60: 'ERROR', 50: 'ERROR', 40: 'WARNING' };

function eventText(line: string): { type: string; text: string } {
  try {
    const record = JSON.parse(line) as Record<string, unknown>;
    const level = typeof record.level === 'number' ? record.level : 30;
    const { msg, level: _l, time: _t, pid: _p, hostname: _h, ...rest } = record;
    const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : '';
    return { type: EVENT_TYPES[level] ?? 'INFORMATION', text: `${String(msg ?? '')}${extra}` };
  } catch {
    return { type: 'INFORMATION', text: line.trim() };
  }
}

/**
 * The Windows Event Log (Application log) through the built-in `eventcreate`
 * tool, one call at a time. No native package is needed; creating a new event
 * source needs administrator rights once, which a service account has at
 * install time. If `eventcreate` fails, lines fall back to `fallback`.
 */
export function windowsEventTarget(source: string, fallback: LineSink, run: EventCreate = runEventCreate): LogTarget {
  const queue: string[] = [];
  let dropped = 0;
  let busy: Promise<void> | undefined;

  async function drain(): Promise<void> {
    for (let line = queue.shift(); line !== undefined; line = queue.shift()) {
      const { type, text } = eventText(line);
      const note = dropped > 0 ? ` (${dropped} earlier log lines were dropped: event log too slow)` : '';
      dropped = 0;
      // eventcreate limits the description; the full line is never a secret-bearing blob anyway.
      const description = `${text}${note}`.slice(0, 30_000);
      try {
        await run(['/L', 'APPLICATION', '/T', type, '/SO', source, '/ID', '1', '/D', description]);
      } catch {
        fallback.write(line);
      }
    }
    busy = undefined;
  }

  return {
    describe: `Windows event log (source ${source})`,
    write: (line) => {
      if (queue.length >= EVENT_QUEUE_LIMIT) {
        dropped += 1;
        return;
      }
      queue.push(line);
      busy ??= drain();
    },
    close: async () => {
      await busy;
    },
  };
}
