// `EventLoopCpu`: the manager's event loop keeps one CPU to itself; every other thread of the process (the
// journal's, the outbox's and the delivery worker, V8's and libuv's helpers) runs on the remaining CPUs.
//
// Why (issue 18, docs/performance.md finding 11): on a 2-core host the scheduler puts a worker that the event
// loop wakes on the loop's own CPU, so the loop waits for a core 20–30 % of the time it runs in the popup bench
// and finds its caches cold after each popup. With the loop alone on its CPU that wait fell to 5–8 % and the
// popup p99 by about a quarter. The price: the loop cannot move away from a process that hogs its CPU, so it is
// off unless the operator sets it, on a host where the manager has its CPUs to itself.
//
// Linux only (the CPU mask belongs to each thread there); set through util-linux's `taskset`, since Node has no
// affinity call. Threads started later inherit the mask of the thread that starts them: our workers move
// themselves at their first line (thread-priority.ts, BACKGROUND_CPUS_ENV), libuv's pool is started beforehand.
import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { CrmTapiError } from '../protocol/errors.ts';
import { BACKGROUND_CPUS_ENV } from './thread-priority.ts';

const run = promisify(execFile);

export type AffinityErrorCode = 'affinity-unsupported' | 'affinity-cpu-unavailable' | 'affinity-single-cpu' | 'affinity-failed';

/** Why `EventLoopCpu` cannot be applied: a stable code and one sentence an operator can act on. */
export class AffinityError extends CrmTapiError {
  constructor(
    readonly code: AffinityErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Where the threads go: the loop's CPU and the others (written with formatCpuList for `taskset -c`). */
export interface AffinityPlan {
  readonly loop: number;
  readonly background: readonly number[];
}

/** Largest CPU number a list may name (Linux's CONFIG_NR_CPUS tops out at 8192). */
const MAX_CPU = 8191;

/** Parses a kernel CPU list such as `0-3,6` (as `Cpus_allowed_list` and `taskset -c` write it); undefined if malformed. */
export function parseCpuList(text: string): number[] | undefined {
  const cpus = new Set<number>();
  for (const part of text.trim().split(',')) {
    const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part);
    if (m === null) return undefined;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    if (to < from || to > MAX_CPU) return undefined;
    for (let cpu = from; cpu <= to; cpu++) cpus.add(cpu);
  }
  return [...cpus].sort((a, b) => a - b);
}

/** Writes CPUs as the kernel does: ascending, runs as ranges (`0-3,6`). */
export function formatCpuList(cpus: readonly number[]): string {
  const sorted = [...new Set(cpus)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** What `EventLoopCpu = cpu` means on a host whose process may run on `allowed`; an AffinityError when it cannot. */
export function planAffinity(cpu: number, allowed: readonly number[], platform: NodeJS.Platform): AffinityPlan | AffinityError {
  if (platform !== 'linux') return new AffinityError('affinity-unsupported', `EventLoopCpu works on Linux only (this is ${platform}); remove the key`);
  const list = formatCpuList(allowed);
  if (!allowed.includes(cpu)) return new AffinityError('affinity-cpu-unavailable', `EventLoopCpu: CPU ${cpu} is not one this process may run on (${list})`);
  if (allowed.length < 2) return new AffinityError('affinity-single-cpu', `EventLoopCpu needs at least two CPUs, and this process may run on CPU ${list} only`);
  return { loop: cpu, background: allowed.filter((c) => c !== cpu) };
}

/** A thread's `Cpus_allowed_list` as the kernel writes it, from its /proc status file; undefined if unreadable (ended). */
function cpusAllowedIn(statusFile: string): string | undefined {
  try {
    return /^Cpus_allowed_list:\s*(\S+)\s*$/m.exec(readFileSync(statusFile, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

/** The CPUs the calling thread may run on (Linux: /proc/thread-self/status). */
export function allowedCpus(): number[] | undefined {
  const list = cpusAllowedIn('/proc/thread-self/status');
  return list === undefined ? undefined : parseCpuList(list);
}

/** The calling thread's kernel thread id (Linux), as /proc/self/task names it. */
export function kernelThreadId(): string {
  return readlinkSync('/proc/thread-self').split('/').pop()!;
}

/** Every thread of a process (this one by default) and the CPUs it may run on (Linux; a thread that ends meanwhile is left out). */
export function threadCpus(pid: number | 'self' = 'self'): Map<string, string> {
  const placement = new Map<string, string>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const list = cpusAllowedIn(`/proc/${pid}/task/${tid}/status`);
    if (list !== undefined) placement.set(tid, list);
  }
  return placement;
}

/**
 * A process's threads (this one by default, then without the calling thread, the event loop) and how many of them
 * may run on `cpu`; a list that does not parse counts as on it. The benches check `EventLoopCpu`'s placement with it.
 */
export function threadsOnCpu(cpu: number, pid: number | 'self' = 'self'): { others: number; beside: number } {
  const loop = pid === 'self' ? kernelThreadId() : undefined;
  const others = [...threadCpus(pid)].filter(([tid]) => tid !== loop);
  return { others: others.length, beside: others.filter(([, cpus]) => parseCpuList(cpus)?.includes(cpu) !== false).length };
}

async function taskset(args: readonly string[]): Promise<void> {
  try {
    await run('taskset', [...args], { timeout: 10_000 });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    const why = e.code === 'ENOENT' ? 'taskset (util-linux) is not installed' : (e.stderr ?? e.message).trim().split('\n')[0];
    throw new AffinityError('affinity-failed', `EventLoopCpu: could not set the threads' CPUs: ${why}`);
  }
}

/**
 * Moves every thread of this process to the plan's background CPUs and the calling thread (the event loop) to
 * its own, and tells the workers started from now on to follow (BACKGROUND_CPUS_ENV). Returns the plan applied.
 */
export async function keepEventLoopCpu(cpu: number): Promise<AffinityPlan> {
  const allowed = allowedCpus();
  if (process.platform === 'linux' && allowed === undefined) throw new AffinityError('affinity-failed', 'EventLoopCpu: /proc/thread-self/status is not readable');
  const plan = planAffinity(cpu, allowed ?? [], process.platform);
  if (plan instanceof AffinityError) throw plan;
  // libuv starts its whole pool on first use: started now, its threads are moved below with the rest.
  await stat('/');
  const background = formatCpuList(plan.background);
  process.env[BACKGROUND_CPUS_ENV] = background;
  await taskset(['-a', '-p', '-c', background, String(process.pid)]);
  const loop = kernelThreadId();
  await taskset(['-p', '-c', String(cpu), loop]);
  const placed = cpusAllowedIn('/proc/thread-self/status');
  if (placed !== String(cpu)) throw new AffinityError('affinity-failed', `EventLoopCpu: the event loop's thread is on CPUs ${placed ?? 'unknown'}, not ${cpu}`);
  return plan;
}

/**
 * With `EventLoopCpu` applied, moves every thread of another process (one this process started: it inherited the
 * loop's CPU) to the background CPUs; otherwise does nothing. The benches' stand-ins for remote services use it.
 */
export function keepOffEventLoopCpu(pid: number): void {
  const background = process.env[BACKGROUND_CPUS_ENV];
  if (process.platform !== 'linux' || background === undefined || background === '') return;
  execFileSync('taskset', ['-a', '-p', '-c', background, String(pid)], { stdio: 'ignore', timeout: 10_000 });
}
