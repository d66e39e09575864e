// The TAPI call-state machine of one call on one line, pure. An inbound leg
// starts at `offering`, an outbound leg at `dialtone` (or `dialing` when the
// driver dials at once); internal calls have one leg of each kind. The
// simulator checks every transition it makes against this table, and the
// provider contract suite checks every provider's event stream with it.
import type { CallState } from '../../src/protocol/call-state.ts';

export type LegDirection = 'in' | 'out';

const IN: Partial<Record<CallState, readonly CallState[]>> = {
  offering: ['accepted', 'connected', 'disconnected'],
  accepted: ['connected', 'disconnected'],
  connected: ['onhold', 'disconnected'],
  onhold: ['connected', 'disconnected'],
  disconnected: [],
};

const OUT: Partial<Record<CallState, readonly CallState[]>> = {
  dialtone: ['dialing', 'disconnected'],
  dialing: ['proceeding', 'ringback', 'busy', 'connected', 'disconnected'],
  proceeding: ['ringback', 'busy', 'connected', 'disconnected'],
  ringback: ['connected', 'busy', 'disconnected'],
  busy: ['disconnected'],
  connected: ['onhold', 'disconnected'],
  onhold: ['connected', 'disconnected'],
  disconnected: [],
};

/** The direction a leg has from its first state, or undefined if no call may start there. */
export function directionOf(first: CallState): LegDirection | undefined {
  if (first === 'offering') return 'in';
  if (first === 'dialtone' || first === 'dialing') return 'out';
  return undefined;
}

/**
 * Whether a leg may go from `from` to `to`. The same state again is allowed
 * (TAPI re-reports a state when call info such as the connected id changes),
 * and `idle` may follow any state: real drivers skip `disconnected` when a
 * call is deallocated, though the simulator never does.
 */
export function canTransition(direction: LegDirection, from: CallState, to: CallState): boolean {
  if (from === 'idle') return false;
  if (to === from || to === 'idle') return true;
  const table = direction === 'in' ? IN : OUT;
  return table[from]?.includes(to) ?? false;
}

export interface CallStep {
  readonly callId: string;
  readonly state: CallState;
  readonly at: number;
}

/**
 * Checks one provider's call events in order; returns one sentence per
 * violation (empty when the stream is sound). With `requireIdle`, every call
 * seen must have reached idle by the end.
 */
export function checkCallSequence(steps: Iterable<CallStep>, options: { requireIdle?: boolean } = {}): string[] {
  const problems: string[] = [];
  const calls = new Map<string, { direction: LegDirection; state: CallState }>();
  let lastAt = -Infinity;
  for (const step of steps) {
    if (step.at < lastAt) problems.push(`${step.callId}: time went back from ${lastAt} to ${step.at}`);
    lastAt = Math.max(lastAt, step.at);
    const known = calls.get(step.callId);
    if (known === undefined) {
      const direction = directionOf(step.state);
      if (direction === undefined) {
        problems.push(`${step.callId}: first state is ${step.state}, expected offering, dialtone or dialing`);
        continue;
      }
      calls.set(step.callId, { direction, state: step.state });
      continue;
    }
    if (known.state === 'idle') {
      problems.push(`${step.callId}: event ${step.state} after idle`);
      continue;
    }
    if (!canTransition(known.direction, known.state, step.state)) {
      problems.push(`${step.callId}: ${known.state} → ${step.state} is not a ${known.direction === 'in' ? 'inbound' : 'outbound'} transition`);
    }
    known.state = step.state;
  }
  if (options.requireIdle === true) {
    for (const [callId, { state }] of calls) {
      if (state !== 'idle') problems.push(`${callId}: ended in ${state}, not idle`);
    }
  }
  return problems;
}
