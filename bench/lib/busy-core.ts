// Another program keeping one core busy, for bench/manager-split.ts's "one core busy" runs: a child process
// spinning for the duration of a function, stopped by its PID. It also ends itself once the bench is gone (its
// parent changes): a bench killed mid-run once left it spinning for minutes under the runs that followed.
import { execFileSync, spawn } from 'node:child_process';
import { formatCpuList } from '../../src/platform/cpu-affinity.ts';
import { sleep } from './popups.ts';

/**
 * The spinner: checks its parent about every million turns (a few ms), so it outlives the bench by no more. The
 * parent's PID comes as its argument: read from `process.ppid` at its start, it was already the new parent's
 * when the bench died during that start.
 */
const BUSY_CORE_JS = 'const parent = Number(process.argv[1]); for (let i = 1; ; i += 1) if (i % 1e6 === 0 && process.ppid !== parent) process.exit(0);';

/**
 * Runs `fn` while a child process spins. `cpus`: the CPUs it may run on (with --event-loop-cpu it would inherit
 * the loop's alone; another program on the host is placed by the kernel on any of them). `started` sees its PID.
 */
export async function withBusyCore<T>(fn: () => Promise<T>, options: { cpus?: readonly number[]; started?: (pid: number) => void } = {}): Promise<T> {
  const busy = spawn(process.execPath, ['-e', BUSY_CORE_JS, String(process.pid)], { stdio: 'ignore' });
  if (busy.pid !== undefined) {
    if (options.cpus !== undefined) execFileSync('taskset', ['-a', '-p', '-c', formatCpuList(options.cpus), String(busy.pid)], { stdio: 'ignore' });
    options.started?.(busy.pid);
  }
  await sleep(200);
  try {
    return await fn();
  } finally {
    if (busy.pid !== undefined) process.kill(busy.pid, 'SIGKILL');
  }
}
