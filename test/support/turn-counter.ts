// Counts event-loop turns with a self-renewing setImmediate: code that works
// a turn at a time (a setImmediate each) advances once per tick of it, so
// tests count turns, never wall-clock time.
export function turnCounter(): { readonly now: () => number; stop(): void } {
  let turn = 0;
  let handle = setImmediate(function tick() {
    turn += 1;
    handle = setImmediate(tick);
  });
  return { now: () => turn, stop: () => clearImmediate(handle) };
}
