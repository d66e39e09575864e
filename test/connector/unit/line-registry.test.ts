// The lines the manager has been told about: whatever the provider reports, in
// whatever steps, the events the registry emits bring a manager's view to the
// registry's own, and say nothing when nothing changed.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { LineRegistry } from '../../../src/connector/line-registry.ts';
import type { LineInfo } from '../../../src/connector/line-provider.ts';
import type { OutgoingEvent } from '../../../src/connector/event-buffer.ts';
import { onProviderEvent, type ProviderSide } from '../../../src/connector/provider-events.ts';
import { SyncedSupport, snapshotOf } from '../../../src/connector/catch-up.ts';
import type { ProviderHealth } from '../../../src/connector/health.ts';

const line = (name: string, over: Partial<LineInfo> = {}): LineInfo => ({ name, address: name, permanentId: `p${name}`, mediaModes: ['audio'], inService: true, controls: [], ...over });

/** A manager's view of the lines, built from nothing but the events. */
type View = Map<string, { address: string; permanentId: string; mediaModes: string; controls: string; inService: boolean }>;

function apply(view: View, events: readonly OutgoingEvent[]): void {
  for (const e of events) {
    if (e.command === 'lineAdded') view.set(e.line.name, { address: e.line.address, permanentId: e.line.permanentId, mediaModes: e.line.mediaModes.join(), controls: (e.line.controls ?? []).join(), inService: e.line.inService });
    else if (e.command === 'lineRemoved') view.delete(e.line);
    else if (e.command === 'lineState') {
      const known = view.get(e.line);
      if (known === undefined) throw new Error(`lineState for ${e.line}, which the manager was never told about`);
      known.inService = e.inService;
    }
  }
}

function viewOf(lines: readonly LineInfo[]): View {
  return new Map(lines.map((l) => [l.name, { address: l.address, permanentId: l.permanentId, mediaModes: l.mediaModes.join(), controls: (l.controls ?? []).join(), inService: l.inService }]));
}

const arbLine = fc.record({
  name: fc.constantFrom('20', '21', '22', '23'),
  address: fc.constantFrom('20', '21', '99'),
  permanentId: fc.constantFrom('p1', 'p2'),
  mediaModes: fc.constantFrom<LineInfo['mediaModes']>(['audio'], ['audio', 'video'], ['video']),
  inService: fc.boolean(),
  controls: fc.constantFrom<LineInfo['controls']>([], ['hold'], ['hold', 'transfer']),
});
const arbLines = fc.uniqueArray(arbLine, { selector: (l) => l.name, maxLength: 4 });
const arbStep = fc.oneof(
  arbLines.map((lines) => ({ kind: 'sync' as const, lines })),
  fc.record({ kind: fc.constant('service' as const), name: fc.constantFrom('20', '21', '22', '23'), inService: fc.boolean() }),
  fc.constant({ kind: 'down' as const }),
);

describe('the line registry', () => {
  test.prop([fc.boolean(), fc.array(arbStep, { maxLength: 12 })])('the events alone bring the manager to the registry\'s view, through any steps', (includeVideo, steps) => {
    const registry = new LineRegistry(includeVideo);
    const view: View = new Map();
    for (const step of steps) {
      const events = step.kind === 'sync' ? registry.sync(step.lines) : step.kind === 'service' ? registry.setInService(step.name, step.inService) : registry.allOutOfService();
      apply(view, events);
      expect(view).toEqual(viewOf(registry.all()));
      // Said once: the same step again changes nothing and says nothing.
      const again = step.kind === 'sync' ? registry.sync(step.lines) : step.kind === 'service' ? registry.setInService(step.name, step.inService) : registry.allOutOfService();
      expect(again).toEqual([]);
    }
  });

  it('announces a line again when what it offers changes, and only its service state when that alone changes', () => {
    const registry = new LineRegistry(false);
    registry.sync([line('20')]);
    expect(registry.sync([line('20', { controls: ['hold'] })]).map((e) => e.command)).toEqual(['lineAdded']);
    expect(registry.sync([line('20', { controls: ['hold'], inService: false })])).toEqual([{ channel: 'connector', command: 'lineState', line: '20', inService: false }]);
    expect(registry.setInService('20', false)).toEqual([]);
    expect(registry.setInService('99', false)).toEqual([]);
  });

  it('announces a line again when only its permanent id or only its media modes change', () => {
    const registry = new LineRegistry(true);
    registry.sync([line('20')]);
    expect(registry.sync([line('20', { permanentId: 'p20-new' })]).map((e) => e.command)).toEqual(['lineAdded']);
    expect(registry.sync([line('20', { permanentId: 'p20-new', mediaModes: ['audio', 'video'] })]).map((e) => e.command)).toEqual(['lineAdded']);
    expect(registry.sync([line('20', { permanentId: 'p20-new', mediaModes: ['audio', 'video'] })])).toEqual([]);
  });
});

function side(registry: LineRegistry, providerLines: () => LineInfo[]): ProviderSide & { emitted: OutgoingEvent[] } {
  const emitted: OutgoingEvent[] = [];
  return {
    emitted,
    lines: registry,
    syncLines: () => emitted.push(...registry.sync(providerLines())),
    emit: (e) => emitted.push(e),
    log: pino({ level: 'silent' }),
    timestamp: () => '2024-05-01T12:00:00.000Z',
    health: { recover: () => {}, cancel: () => {} } as unknown as ProviderHealth,
  };
}

describe('provider events', () => {
  it('reads the lines again when a call arrives on a line it has not heard of, and tells the manager the line first', () => {
    const registry = new LineRegistry(false);
    const lines = [line('20')];
    const s = side(registry, () => lines);
    s.syncLines();
    s.emitted.length = 0;
    lines.push(line('21'));
    onProviderEvent({ type: 'call', at: 0, callId: 'c1', line: '21', state: 'offering', origin: 'inbound', caller: { number: '0301' } }, s);
    expect(s.emitted.map((e) => e.command === 'lineAdded' ? `lineAdded ${e.line.name}` : e.command)).toEqual(['lineAdded 21', 'callState']);
  });

  it('drops a call on a line that is still unknown (or not reported) after reading the lines again', () => {
    const registry = new LineRegistry(false);
    const s = side(registry, () => [line('20'), line('29', { mediaModes: ['audio', 'video'] })]);
    onProviderEvent({ type: 'call', at: 0, callId: 'c1', line: '29', state: 'offering', origin: 'inbound' }, s);
    expect(s.emitted.map((e) => e.command)).toEqual(['lineAdded']);
  });
});

describe('catch-up', () => {
  it('puts only the reported lines\' calls into the snapshot, at the given seq', () => {
    const calls = [
      { callId: 'a', line: '20', state: 'connected' as const, origin: 'inbound' as const },
      { callId: 'v', line: '29', state: 'offering' as const, origin: 'inbound' as const },
    ];
    const snapshot = snapshotOf(calls, (name) => name === '20', 7, 'T');
    expect(snapshot.map((c) => [c.callId, c.seq, c.snapshot])).toEqual([['a', 7, true]]);
  });

  it('takes an unknown-command error as the answer to synced only when it names no request', () => {
    const synced = new SyncedSupport(pino({ level: 'silent' }));
    expect(synced.forRegistration(3, 1)).toEqual({ snapshotSeq: 3, activeCalls: 1 });
    expect(synced.isReplyToSynced({ channel: 'connector', command: 'error', code: 'unknown-command', message: 'no such command', requestId: 'r1' })).toBe(false);
    expect(synced.isReplyToSynced({ channel: 'connector', command: 'error', code: 'invalid-field', message: 'bad' })).toBe(false);
    expect(synced.forRegistration(4, 0)).toEqual({ snapshotSeq: 4, activeCalls: 0 });
    expect(synced.isReplyToSynced({ channel: 'connector', command: 'error', code: 'unknown-command', message: 'channel connector has no command "synced"' })).toBe(true);
    expect(synced.forRegistration(5, 0)).toBeUndefined();
  });
});
