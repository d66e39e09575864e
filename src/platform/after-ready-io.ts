// Node's event loop turns in phases: timers, then the poll phase (the sockets
// that are ready), then the immediates. An immediate queued from the poll
// phase runs in the same turn, before the next poll; one queued from an
// immediate runs in the next turn, after its poll phase. So two immediates in
// a row let every socket that became readable meanwhile be read first: the
// client that a popup was just written to, another connector's events.

/** Runs `run` after the next poll phase, so the I/O that is ready by then is served first. */
export function afterReadyIo(run: () => void): void {
  setImmediate(() => setImmediate(run));
}
