// The gateway's fixed limits (docs/manager.md, "Limits"): connector hosts, lines per connector, running calls
// per connector and waiting commands. Each holds at its documented value, refuses or ignores what is past it
// the way the table says, and loses no call event on the way.
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { CallStateMessage, LineInfo } from '../../../src/protocol/index.ts';
import { MAX_PENDING_COMMANDS, PendingCommands } from '../../../src/manager/gateway/commands.ts';
import type { ConnectorConnection } from '../../../src/manager/gateway/connection.ts';
import { MAX_CONNECTOR_HOSTS } from '../../../src/manager/gateway/gateway.ts';
import { ConnectorRegistry, MAX_CALLS_PER_CONNECTOR, MAX_LINES_PER_CONNECTOR } from '../../../src/manager/gateway/registry.ts';
import { MemorySeqStore, type JournaledEvent } from '../../../src/manager/gateway/seq-store.ts';
import type { LineEvent, RoutedCallEvent } from '../../../src/manager/contracts.ts';
import { LogCapture, startGateway } from '../support/gateway.ts';
import { RawConnector } from '../support/raw-connector.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const offering = (seq: number, callId: string): CallStateMessage => ({
  channel: 'connector', command: 'callState', seq, timestamp: '2026-12-07T10:00:00.000Z', line: 'l1', callId, state: 'offering', origin: 'inbound', callerNumber: '+4930123456', snapshot: false,
});
const lineInfo = (name: string): LineInfo => ({ name, address: name, permanentId: name, mediaModes: ['audio'], inService: true });

/** A registry with one registered host, and what it emits and logs. */
function registryWithHost(host: string) {
  const logs = new LogCapture();
  const calls: RoutedCallEvent[] = [];
  const lines: LineEvent[] = [];
  const registry = new ConnectorRegistry(new MemorySeqStore(), { call: (e) => calls.push(e), line: (e) => lines.push(e) }, pino({ level: 'debug' }, logs));
  // Registration reads only these of the connection (the catch-up keeps it for later writes).
  registry.register(host, { connectorVersion: '1.0.0', peer: '127.0.0.1:1' } as ConnectorConnection, undefined);
  return { registry, logs, calls, lines };
}

describe('hard limits', () => {
  it(`connector hosts: ${MAX_CONNECTOR_HOSTS}; a new host past it gets too-many-connectors, a known one still registers`, async () => {
    // The journal of a manager that knew MAX_CONNECTOR_HOSTS hosts: restoring it makes them known.
    const seqs = new MemorySeqStore();
    for (let i = 0; i < MAX_CONNECTOR_HOSTS; i += 1) {
      const host = `h${i}.test`;
      seqs.set(host, 1, { host, key: `${host}/c1`, message: offering(1, 'c1') } satisfies JournaledEvent);
    }
    const g = await startGateway({}, { seqs });
    cleanups.push(() => g.stop());
    expect(g.gateway.restoreJournal()).toBe(MAX_CONNECTOR_HOSTS);
    expect(g.calls).toHaveLength(MAX_CONNECTOR_HOSTS);

    const newcomer = await RawConnector.open(g.port);
    cleanups.push(() => newcomer.close());
    newcomer.register('one-too-many.test');
    await newcomer.closedPromise;
    expect(newcomer.received).toEqual([{ channel: 'connector', command: 'error', code: 'too-many-connectors', message: `this manager keeps at most ${MAX_CONNECTOR_HOSTS} connector hosts` }]);

    const known = await RawConnector.registered(g.port, 'h7.test', 1);
    cleanups.push(() => known.close());
    expect(known.of('registered')[0]?.lastAckedSeq).toBe(1);
  });

  it(`lines per connector: ${MAX_LINES_PER_CONNECTOR}; further lines are ignored and logged`, () => {
    const { registry, logs, lines } = registryWithHost('pbx.test');
    for (let seq = 1; seq <= MAX_LINES_PER_CONNECTOR + 2; seq += 1) {
      registry.applySequenced('pbx.test', { channel: 'connector', command: 'lineAdded', seq, line: lineInfo(`L${seq}`) });
    }
    expect(lines.filter((e) => e.kind === 'added')).toHaveLength(MAX_LINES_PER_CONNECTOR);
    expect(registry.entry('pbx.test')?.lines.size).toBe(MAX_LINES_PER_CONNECTOR);
    expect(registry.entry('pbx.test')?.lines.has(`L${MAX_LINES_PER_CONNECTOR + 1}`)).toBe(false);
    expect(logs.messages().filter((m) => m === 'connector reports more lines than the manager keeps; line ignored')).toHaveLength(2);
    // A known line still changes, and a removed one makes room.
    registry.applySequenced('pbx.test', { channel: 'connector', command: 'lineRemoved', seq: MAX_LINES_PER_CONNECTOR + 3, line: 'L1' });
    registry.applySequenced('pbx.test', { channel: 'connector', command: 'lineAdded', seq: MAX_LINES_PER_CONNECTOR + 4, line: lineInfo('late') });
    expect(registry.entry('pbx.test')?.lines.has('late')).toBe(true);
  });

  it(`running calls per connector: ${MAX_CALLS_PER_CONNECTOR}; a call past it still reaches the agents, is not controllable, and is logged`, () => {
    const { registry, logs, calls } = registryWithHost('pbx.test');
    const total = MAX_CALLS_PER_CONNECTOR + 1;
    for (let seq = 1; seq <= total; seq += 1) registry.applySequenced('pbx.test', offering(seq, `c${seq}`));
    // Every event goes on to routing (the popup): the limit bounds what the manager can control, not what agents see.
    expect(calls).toHaveLength(total);
    expect(calls.at(-1)?.callKey).toBe(`pbx.test/c${total}`);
    const entry = registry.entry('pbx.test');
    expect(entry?.calls.size).toBe(MAX_CALLS_PER_CONNECTOR);
    expect(entry?.calls.has(`c${total}`)).toBe(false);
    expect(logs.messages()).toContain('too many running calls on one connector; this one cannot be controlled');
    // A call that ends makes room for the next.
    registry.applySequenced('pbx.test', { ...offering(total + 1, 'c1'), state: 'idle' });
    registry.applySequenced('pbx.test', offering(total + 2, 'next'));
    expect(entry?.calls.has('next')).toBe(true);
  });

  it(`waiting commands: ${MAX_PENDING_COMMANDS}; a further one fails at once, and all settle on stop`, async () => {
    const commands = new PendingCommands(() => 60_000);
    const waiting = Array.from({ length: MAX_PENDING_COMMANDS }, () => commands.start('pbx.test', 'makeCall', () => true));
    expect(commands.size).toBe(MAX_PENDING_COMMANDS);
    expect(await commands.start('pbx.test', 'makeCall', () => true)).toEqual({ ok: false, error: { code: 'connector-offline', message: 'too many commands are waiting for connectors' } });
    expect(commands.size).toBe(MAX_PENDING_COMMANDS);
    commands.stop();
    const outcomes = await Promise.all(waiting);
    expect(outcomes.every((o) => !o.ok && o.error.code === 'shutting-down')).toBe(true);
    expect(commands.size).toBe(0);
  });
});
