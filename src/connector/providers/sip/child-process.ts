// Ends a child process we started, by its PID: SIGTERM, SIGTERM again (baresip
// 1.0.0 sometimes only starts its shutdown on the first one and needs a second
// to finish), then SIGKILL after a deadline. Never by name.
import type { ChildProcess } from 'node:child_process';

export interface StopOptions {
  /** Wait after the first SIGTERM before sending the second (default 1 s). */
  readonly graceMs?: number;
  /** Wait after the second SIGTERM before SIGKILL (default 2 s). */
  readonly killAfterMs?: number;
}

export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

function waitFor(done: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void done.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function stopChild(child: ChildProcess, options: StopOptions = {}): Promise<void> {
  const done = exited(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (await waitFor(done, options.graceMs ?? 1_000)) return;
  child.kill('SIGTERM');
  if (await waitFor(done, options.killAfterMs ?? 2_000)) return;
  child.kill('SIGKILL');
  await done;
}
