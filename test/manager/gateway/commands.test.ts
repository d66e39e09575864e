// Commands to connectors (manager/gateway/commands.ts): a result or error
// settles only the request of the connector it was sent to; a connector that
// goes away fails only its own requests; a timeout forgets its request; a
// stopped manager refuses at once; a connector that sent nothing gets
// connector-offline; and routeCommand refuses what no connector reports
// before anything is sent. Each case failed on a hand-made break the gateway
// tests (real sockets, real connector) did not catch.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ConnectorConnection } from '../../../src/manager/gateway/connection.ts';
import { PendingCommands, routeCommand } from '../../../src/manager/gateway/commands.ts';
import { ConnectorRegistry } from '../../../src/manager/gateway/registry.ts';
import { MemorySeqStore } from '../../../src/manager/gateway/seq-store.ts';
import type { ConnectorDownMessage } from '../../../src/protocol/index.ts';

/** Starts a command for `host` and hands back its request id. */
function started(commands: PendingCommands, host: string) {
  let requestId = '';
  const outcome = commands.start(host, 'drop', (id) => {
    requestId = id;
    return true;
  });
  return { outcome, requestId };
}

const result = (requestId: string, ok = true) => ({ channel: 'connector', command: 'result', requestId, ok } as const);

describe('waiting commands', () => {
  it('a result from another connector than the one asked settles nothing', async () => {
    const commands = new PendingCommands(() => 60_000);
    const a = started(commands, 'pbx-a');
    expect(commands.result('pbx-b', result(a.requestId))).toBe(false);
    expect(commands.error('pbx-b', a.requestId, { code: 'x', message: 'y' })).toBe(false);
    expect(commands.size).toBe(1);
    expect(commands.result('pbx-a', { ...result(a.requestId), callId: 'c1' })).toBe(true);
    expect(await a.outcome).toEqual({ ok: true, callId: 'c1' });
  });

  it('a failed result without details is still a failure', async () => {
    const commands = new PendingCommands(() => 60_000);
    const a = started(commands, 'pbx-a');
    commands.result('pbx-a', result(a.requestId, false));
    expect(await a.outcome).toEqual({ ok: false, error: { code: 'internal', message: 'the connector reported a failure without details' } });
  });

  it('a connector that goes away fails its own requests only', async () => {
    const commands = new PendingCommands(() => 60_000);
    const a = started(commands, 'pbx-a');
    const b = started(commands, 'pbx-b');
    commands.failHost('pbx-a', 'connector-offline', 'connector pbx-a went away');
    expect(await a.outcome).toEqual({ ok: false, error: { code: 'connector-offline', message: 'connector pbx-a went away' } });
    expect(commands.size).toBe(1);
    expect(commands.result('pbx-b', result(b.requestId))).toBe(true);
    expect(await b.outcome).toEqual({ ok: true });
  });

  it('a request that timed out is forgotten: its late result settles nothing, and the message says whole seconds', async () => {
    const commands = new PendingCommands(() => 30);
    const a = started(commands, 'pbx-a');
    expect(await a.outcome).toEqual({ ok: false, error: { code: 'command-timeout', message: 'connector pbx-a did not answer drop within 0 s' } });
    expect(commands.size).toBe(0);
    expect(commands.result('pbx-a', result(a.requestId))).toBe(false);
  });

  it('after stop, a new command is refused at once and nothing is sent', async () => {
    const commands = new PendingCommands(() => 60_000);
    commands.stop();
    let sent = 0;
    const outcome = await commands.start('pbx-a', 'drop', () => {
      sent += 1;
      return true;
    });
    expect(outcome).toEqual({ ok: false, error: { code: 'shutting-down', message: 'the manager is shutting down' } });
    expect(sent).toBe(0);
    expect(commands.size).toBe(0);
  });
});

describe('routeCommand', () => {
  const registry = new ConnectorRegistry(new MemorySeqStore(), { call: () => undefined, line: () => undefined }, pino({ level: 'silent' }));
  registry.register('pbx', { connectorVersion: '1.2.0', peer: '127.0.0.1:1' } as ConnectorConnection, undefined);
  registry.applyLineList('pbx', [{ name: '21', address: '21', permanentId: '21', mediaModes: ['audio'], inService: true }]);
  registry.applySequenced('pbx', {
    channel: 'connector', command: 'callState', seq: 1, timestamp: '2026-12-08T02:00:00.000Z', line: '21', callId: 'c1', state: 'offering', origin: 'inbound', snapshot: false,
  });

  function route(command: Parameters<typeof routeCommand>[0]) {
    const sent: ConnectorDownMessage[] = [];
    const commands = new PendingCommands(() => 60_000);
    const outcome = routeCommand(command, registry, commands, (_host, message) => {
      sent.push(message);
      return true;
    });
    return { outcome, sent, commands };
  }

  it('sends makeCall on a reported line with the connector\'s own line name, and a call command to the call\'s connector', () => {
    expect(route({ kind: 'makeCall', line: 'pbx:21', dialString: '0301' }).sent).toEqual([{ channel: 'connector', command: 'makeCall', requestId: expect.any(String), line: '21', dialString: '0301' }]);
    expect(route({ kind: 'drop', callKey: 'pbx/c1' }).sent).toEqual([{ channel: 'connector', command: 'drop', requestId: expect.any(String), callId: 'c1' }]);
  });

  it.each([
    ['a line the connector did not report', { kind: 'makeCall', line: 'pbx:22', dialString: '0301' }, 'unknown-line'],
    ['a line name without its host', { kind: 'makeCall', line: ':21', dialString: '0301' }, 'unknown-line'],
    ['a host without its line name', { kind: 'makeCall', line: 'pbx:', dialString: '0301' }, 'unknown-line'],
    ['a call the connector does not run', { kind: 'drop', callKey: 'pbx/c2' }, 'unknown-call'],
    ['a call key without its call id', { kind: 'drop', callKey: 'pbx/' }, 'unknown-call'],
  ] as const)('refuses %s before anything is sent', async (_what, command, code) => {
    const { outcome, sent, commands } = route(command);
    expect(await outcome).toMatchObject({ ok: false, error: { code } });
    expect(sent).toEqual([]);
    expect(commands.size).toBe(0);
  });

  it('a connector whose link cannot take the message is offline at once, not after the timeout', async () => {
    const commands = new PendingCommands(() => 60_000);
    const outcome = await routeCommand({ kind: 'drop', callKey: 'pbx/c1' }, registry, commands, () => false);
    expect(outcome).toEqual({ ok: false, error: { code: 'connector-offline', message: 'connector pbx is not connected' } });
    expect(commands.size).toBe(0);
  });
});
