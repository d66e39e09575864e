// Background threads (the journal's and the outbox's SQLite workers, the WAL checkpointer) run at a lower
// priority than the event loop that serves popups. On a 2-core host the manager's main thread shares the cores
// with these threads and V8's own; issue 18 measured it waiting for a core 9–12 % of the time it ran in the
// popup bench (a popup stuck 0.5–3 ms inside one read of the connector's socket), against 6–7 % with the
// workers at nice 10 — the bare relay's share. Their work can wait: a popup never waits for a commit, and a
// durable write is never lost by waiting. A connector's acknowledgement does wait for the journal's commit, so
// on a saturated host acknowledgements leave later (CFS still gives a nice-10 thread about a tenth of a core it
// shares with one busy thread); the registry drops what a reconnecting connector resends meanwhile.
//
// Linux only: there the nice value belongs to the thread (setpriority on the calling task). On Windows and
// macOS it belongs to the process, and lowering it would slow the event loop too, so elsewhere nothing changes.

/** The nice value of background threads: CFS then gives the event loop about nine tenths of a core they share. */
export const BACKGROUND_NICE = 10;

/** The CPUs our worker threads move to when the event loop keeps one to itself (cpu-affinity.ts, `EventLoopCpu`). */
export const BACKGROUND_CPUS_ENV = 'CRM_TAPI_BACKGROUND_CPUS';

// Plain JavaScript that runs as the first statement of a worker, as CommonJS (`eval: true`) or as an ES module
// (module-worker.ts), hence process.getBuiltinModule rather than require or import.

/**
 * Moves the calling worker thread off the event loop's CPU when `EventLoopCpu` is set (the env variable names the
 * others). A worker inherits the mask of the thread that starts it, the loop's; a failure is written to stderr
 * and the worker runs on (beside the loop, as without the setting).
 */
export const LEAVE_EVENT_LOOP_CPU_JS =
  `if (process.platform === 'linux' && process.env.${BACKGROUND_CPUS_ENV}) { try { ` +
  `const tid = process.getBuiltinModule('node:fs').readlinkSync('/proc/thread-self').split('/').pop(); ` +
  `process.getBuiltinModule('node:child_process').execFileSync('taskset', ['-p', '-c', process.env.${BACKGROUND_CPUS_ENV}, tid], { stdio: 'ignore', timeout: 10000 }); ` +
  `} catch (err) { process.stderr.write('crm-tapi: a worker thread stays on the CPU of the event loop (EventLoopCpu): ' + err.message + '\\n'); } }`;

/** Lowers the calling thread to BACKGROUND_NICE; a refusal is ignored (priority is a preference). */
export const LOWER_THIS_THREAD_JS = `if (process.platform === 'linux') { try { process.getBuiltinModule('node:os').setPriority(${BACKGROUND_NICE}); } catch {} }`;

/** The first lines of a background worker: off the loop's CPU, then at the background priority. */
export const BACKGROUND_THREAD_JS = `${LEAVE_EVENT_LOOP_CPU_JS}\n${LOWER_THIS_THREAD_JS}`;
