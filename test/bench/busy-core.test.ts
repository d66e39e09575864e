// bench/lib/busy-core.ts: the process that keeps a core busy in bench/manager-split.ts's "one core busy" runs
// is stopped when the run ends, and ends itself when the bench is killed mid-run (a killed bench once left it
// spinning under the next runs for minutes).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { withBusyCore } from '../../bench/lib/busy-core.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Running, not ended: an ended child whose new parent has not reaped it yet is a zombie (state Z). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};
async function gone(pid: number, withinMs: number): Promise<boolean> {
  for (const end = Date.now() + withinMs; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (!alive(pid)) return true;
  return !alive(pid);
}

describe.runIf(process.platform === 'linux')('the busy core of bench/manager-split.ts', () => {
  it('spins while the function runs and is stopped by its PID when it returns', async () => {
    let pid = 0;
    const seen = await withBusyCore(async () => alive(pid), { started: (p) => (pid = p) });
    expect(pid).toBeGreaterThan(0);
    expect(seen).toBe(true);
    expect(await gone(pid, 5_000)).toBe(true);
  });

  it('ends itself when the process that started it is killed', async () => {
    // A bench stand-in: starts the spinner, prints its PID, and is killed before its function returns.
    const script = `import { withBusyCore } from './bench/lib/busy-core.ts'; await withBusyCore(() => new Promise(() => {}), { started: (pid) => console.log(pid) });`;
    const bench = execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT });
    const pid = await new Promise<number>((resolve) => bench.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
    expect(alive(pid)).toBe(true);
    bench.kill('SIGKILL');
    try {
      expect(await gone(pid, 10_000)).toBe(true);
    } finally {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 30_000);
});
