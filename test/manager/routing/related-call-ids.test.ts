// A driver that reports one call under two ids (relatedCallId): the second id
// is folded into the first while the call lasts, and its own end, arriving
// after the first id finished the call, is no new call. A later call under
// that id is tracked again (PBXs reuse ids).
import { describe, expect, it } from 'vitest';
import type { MonoMs } from '../../../src/manager/clock.ts';
import type { RoutedCallEvent } from '../../../src/manager/contracts.ts';
import { CallTracker } from '../../../src/manager/routing/calls.ts';
import type { CallState } from '../../../src/protocol/index.ts';

const at = (s: number) => `2026-01-01T00:00:${String(s).padStart(2, '0')}.000Z`;

function event(callId: string, state: CallState, second: number, related?: string): RoutedCallEvent {
  return {
    callKey: `pbx/${callId}`, line: 'pbx:25', connectorHost: 'pbx', receivedAt: (second * 1000) as MonoMs,
    event: { channel: 'connector', command: 'callState', timestamp: at(second), line: '25', callId, state, origin: 'inbound', callerNumber: '+49 30 1234567', snapshot: false, ...(related ? { relatedCallId: related } : {}) },
  };
}

describe('one call under two ids', () => {
  it('the second id\'s late end is no call of its own; a new call under that id later is', () => {
    const calls = new CallTracker();
    expect(calls.apply(event('c1', 'offering', 0, 'c2')).news).toBe(true);
    const folded = calls.apply(event('c2', 'offering', 0, 'c1'));
    expect(folded.call.callKey).toBe('pbx/c1');
    calls.apply(event('c1', 'disconnected', 4, 'c2'));
    const last = calls.apply(event('c1', 'idle', 4, 'c2'));
    expect(calls.remove(last.call)).toEqual(['pbx/c1', 'pbx/c2']);
    expect(calls.size).toBe(0);

    for (const state of ['disconnected', 'idle'] as const) {
      const late = calls.apply(event('c2', state, 4, 'c1'));
      expect(late.news).toBe(false);
      expect(late.call.callKey).toBe('pbx/c1');
      expect(calls.size).toBe(0);
    }

    const again = calls.apply(event('c2', 'offering', 30));
    expect(again.news).toBe(true);
    expect(again.call.callKey).toBe('pbx/c2');
    expect(again.call.startedAt).toBe(at(30));
    expect(calls.size).toBe(1);
  });
});
