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

/** The first line of a worker source run as plain CommonJS (`eval: true`); a refusal is ignored (priority is a preference). */
export const LOWER_THIS_THREAD_JS = `if (process.platform === 'linux') { try { require('node:os').setPriority(${BACKGROUND_NICE}); } catch {} }`;
