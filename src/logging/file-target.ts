// `LogFile`: lines go to exactly the path the operator named. Warnings and
// errors are written with a synchronous write() before the logging call
// returns, so a SIGKILL right after one cannot lose it (the kernel has it;
// only a power cut before the page cache is flushed can). Info and debug
// lines are batched and written at most `flushMs` later, or at once when a
// warning comes, so order is kept. Rotation renames the current file to
// `<name>.1<ext>` (older ones move up a number, the oldest beyond `keep` is
// deleted) and opens a fresh file at the named path: a new file every day
// (local time) or at `maxBytes`.
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { LogError } from './errors.ts';
import type { LogTarget } from './targets.ts';

export interface FileRotation {
  maxBytes: number;
  /** Rotated files kept besides the current one. */
  keep: number;
  /** How long info/debug lines may wait before they are written. */
  flushMs: number;
}

/** Rotation of `LogFile`: a new file every day or at 10 MB, the last 14 kept. */
export const FILE_ROTATION: FileRotation = { maxBytes: 10 * 1024 * 1024, keep: 14, flushMs: 200 };

/** pino writes `{"level":N,` first; warn is 40, error 50, fatal 60. */
const URGENT = /^\{"level":([4-9]\d)\b/;

/** The name of the `n`-th older file: `logs/manager.log` → `logs/manager.1.log`. */
export function rotatedName(file: string, n: number): string {
  const ext = extname(file);
  return ext === '' ? `${file}.${n}` : `${file.slice(0, -ext.length)}.${n}${ext}`;
}

const localDay = (d: Date): string => `${d.getFullYear()}-${d.getMonth() + 1}-${d.getDate()}`;

function unwritable(file: string, err: unknown): LogError {
  return new LogError('log-file-unwritable', `cannot open log file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
}

export function openFileTarget(file: string, rotation: FileRotation = FILE_ROTATION, now: () => Date = () => new Date()): Promise<LogTarget> {
  let fd: number;
  let size: number;
  try {
    mkdirSync(dirname(file), { recursive: true });
    fd = openSync(file, 'a');
    size = fstatSync(fd).size;
  } catch (err) {
    return Promise.reject(unwritable(file, err));
  }
  let day = localDay(now());
  let pending: string[] = [];
  let pendingChars = 0;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  const rotate = (): void => {
    closeSync(fd);
    rmSync(rotatedName(file, rotation.keep), { force: true });
    for (let n = rotation.keep - 1; n >= 1; n -= 1) if (existsSync(rotatedName(file, n))) renameSync(rotatedName(file, n), rotatedName(file, n + 1));
    renameSync(file, rotatedName(file, 1));
    fd = openSync(file, 'a');
    size = 0;
  };

  const flush = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (pending.length === 0 || closed) return;
    const text = pending.join('');
    pending = [];
    pendingChars = 0;
    const bytes = Buffer.from(text, 'utf8');
    try {
      const today = localDay(now());
      if ((today !== day || size + bytes.length > rotation.maxBytes) && size > 0) rotate();
      day = today;
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off);
      size += bytes.length;
    } catch {
      // After a successful open a failing disk must not take the service down; these lines are lost.
    }
  };
  // A normal exit (process.exit, end of work) writes what is batched.
  const onExit = (): void => flush();
  process.on('exit', onExit);

  return Promise.resolve({
    describe: `file ${file}`,
    write(line: string) {
      if (closed) return;
      pending.push(line);
      pendingChars += line.length;
      if (URGENT.test(line) || pendingChars > 64 * 1024) flush();
      else if (timer === undefined) {
        timer = setTimeout(flush, rotation.flushMs);
        timer.unref();
      }
    },
    close() {
      flush();
      closed = true;
      process.off('exit', onExit);
      try {
        closeSync(fd);
      } catch {
        // Already gone with the disk.
      }
      return Promise.resolve();
    },
  });
}
