import { afterEach, describe, expect, it } from 'vitest';
import { FakeManager, until } from '../support/fake-manager.ts';
import { KEY, startHarness, type Harness } from '../support/harness.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: Parameters<typeof startHarness>[1] = {}, managerOptions = {}): Promise<{ m: FakeManager; h: Harness }> {
  const m = await FakeManager.start(managerOptions);
  cleanups.push(() => m.close());
  const h = await startHarness(m, options);
  cleanups.push(() => h.service.stop());
  return { m, h };
}

describe('registration and line list', () => {
  it('registers with host, versions and key, then reports audio lines only', async () => {
    const { m, h } = await setup({ lines: ['20', { extension: '21', video: true }, '22'] });
    await m.waitFor(() => m.of('lines').length === 1, 5_000, 'lines');
    expect(m.registrations[0]).toEqual({ channel: 'connector', command: 'register', protocolVersion: '1.2', connectorVersion: '0.1.0', host: 'pbx.test', connectorKey: KEY });
    expect(m.of('lines')[0]?.lines.map((l) => l.name)).toEqual(['20', '22']);
    expect(m.of('lines')[0]?.lines[0]).toEqual({
      name: '20', address: '20', permanentId: 'sim-20', mediaModes: ['audio'], inService: true, rejectAllowed: false, controls: ['hold', 'transfer', 'consult', 'conference'],
    });
    expect(h.service.stats.lines).toBe(2);
  });

  it('reports video lines too with IncludeMediaTypeVideo = 1', async () => {
    const { m } = await setup({ lines: ['20', { extension: '21', video: true }], config: { IncludeMediaTypeVideo: 1 } });
    await m.waitFor(() => m.of('lines').length === 1);
    expect(m.of('lines')[0]?.lines.map((l) => [l.name, l.mediaModes.join('+')])).toEqual([
      ['20', 'audio'],
      ['21', 'audio+video'],
    ]);
  });

  it('reports lines created, removed, and out of service at run time, with seq', async () => {
    const { m, h } = await setup();
    await m.waitFor(() => m.of('lines').length === 1);
    h.pbx.addLine({ extension: '30' });
    h.pbx.addLine({ extension: '31', video: true }); // not reported: video without IncludeMediaTypeVideo
    h.pbx.setInService('20', false);
    h.pbx.removeLine('30');
    await m.waitFor(() => m.events.length === 3, 5_000, 'three line events');
    expect(m.events.map((e) => [e.seq, e.command])).toEqual([
      [1, 'lineAdded'],
      [2, 'lineState'],
      [3, 'lineRemoved'],
    ]);
    expect(m.events[0]).toMatchObject({ line: { name: '30', rejectAllowed: false } }); // RejectViaDisconnect = 0 (default)
    expect(m.events[1]).toMatchObject({ line: '20', inService: false });
    expect(m.violations).toEqual([]);
  });

  it('forwards call events in order with seq, timestamp and parties', async () => {
    const { m, h } = await setup({ service: { now: () => Date.UTC(2024, 4, 1, 12, 0, 0) } });
    await m.waitFor(() => m.of('lines').length === 1);
    const { callIds } = h.pbx.incoming({ number: '0301234567', name: 'Alice' }, '21');
    const callId = callIds[0] as string;
    h.pbx.answer(callId);
    h.pbx.drop(callId);
    h.clock.advance(5_000);
    await m.waitFor(() => m.events.some((e) => e.command === 'callState' && e.state === 'idle'), 5_000, 'idle');
    const states = m.events.filter((e) => e.command === 'callState');
    expect(states.map((e) => e.state)).toEqual(expect.arrayContaining(['offering', 'connected', 'disconnected', 'idle']));
    expect(states.map((e) => e.seq)).toEqual(states.map((_, i) => i + 1));
    expect(states[0]).toMatchObject({ line: '21', callId, origin: 'inbound', callerNumber: '0301234567', callerName: 'Alice', snapshot: false, timestamp: '2024-05-01T12:00:00.000Z' });
    expect(m.violations).toEqual([]);
  });

  it('after a reconnect sends lines, then the snapshot of active calls, then what was missed', async () => {
    const { m, h } = await setup({}, { autoAck: false });
    await m.waitFor(() => m.of('lines').length === 1);
    const { callIds } = h.pbx.incoming({ number: '0301111' }, '20');
    await m.waitFor(() => m.events.length >= 1);
    m.ack();
    await until(() => h.service.stats.buffer.ackedSeq === 1, 5_000, 'ack applied');
    m.dropConnections();
    // Events while the manager is away.
    h.pbx.answer(callIds[0] as string);
    h.pbx.incoming({ number: '0302222' }, '22');
    const before = m.received.length;
    await m.waitFor(() => m.registrations.length === 2, 5_000, 're-registration');
    await m.waitFor(() => h.service.stats.buffer.lastSeq === m.lastSeq, 5_000, 'resend');
    await m.waitFor(() => m.of('synced').length === 2, 5_000, 'synced after the replay');
    const after = m.received.slice(before).map((x) => (x.command === 'callState' ? `${x.command}${x.snapshot ? '*' : ''}:${x.state}` : x.command));
    expect(m.registrations[1]?.lastAckedSeq).toBe(1);
    expect(after[0]).toBe('register');
    expect(after[1]).toBe('lines');
    expect(after.slice(2, 4).sort()).toEqual(['callState*:connected', 'callState*:offering']);
    // The replay, then — once every buffered event is out — `synced`, last.
    expect(after.slice(4, -1).length).toBeGreaterThan(0);
    expect(after.slice(4, -1).every((x) => x.startsWith('callState:'))).toBe(true);
    expect(after.at(-1)).toBe('synced');
    const snapshots = m.of('callState').filter((c) => c.snapshot);
    expect(snapshots.every((s) => s.seq === h.service.stats.buffer.lastSeq)).toBe(true);
    expect(m.of('synced')[1]).toEqual({ channel: 'connector', command: 'synced', snapshotSeq: h.service.stats.buffer.lastSeq, activeCalls: 2 });
    expect(m.violations).toEqual([]);
    m.ack();
  });

  it('tells the manager once per registration that it has everything (synced), right after the lines on a first start', async () => {
    const { m } = await setup();
    await m.waitFor(() => m.of('synced').length === 1, 5_000, 'synced');
    expect(m.received.map((x) => x.command)).toEqual(['register', 'lines', 'synced']);
    expect(m.of('synced')[0]).toEqual({ channel: 'connector', command: 'synced', snapshotSeq: 0, activeCalls: 0 });
    m.dropConnections();
    await m.waitFor(() => m.of('synced').length === 2, 5_000, 'synced after re-registering');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(m.received.map((x) => x.command)).toEqual(['register', 'lines', 'synced', 'register', 'lines', 'synced']);
  });

  it('keeps the link when an older manager does not know synced, and stops sending it', async () => {
    const { m, h } = await setup({}, { unknownCommands: ['synced'] });
    await m.waitFor(() => m.of('synced').length === 1, 5_000, 'synced');
    await until(() => h.logs.messages().some((l) => l.startsWith('the manager does not know `synced`')), 5_000, 'the reply to be understood');
    expect(h.service.stats.link).toBe('ready');
    m.dropConnections();
    await m.waitFor(() => m.registrations.length === 2 && m.of('lines').length === 2, 5_000, 're-registration');
    const callId = h.pbx.incoming({ number: '0301111' }, '20').callIds[0] as string;
    await m.waitFor(() => m.events.some((e) => e.command === 'callState' && e.callId === callId), 5_000, 'a live event on the new link');
    expect(m.of('synced')).toHaveLength(1);
    expect(h.service.stats.link).toBe('ready');
    const warnings = h.logs.records.filter((r) => (r.level as number) >= 40).map((r) => String(r.msg));
    expect(warnings.filter((w) => w.includes('unknown-command') || w.includes('reports an error'))).toEqual([]);
  });

  it('keeps retrying with back-off while the manager refuses the registration', async () => {
    const { m, h } = await setup({}, { refuse: 'unauthorized' });
    await m.waitFor(() => m.registrations.length >= 3, 5_000, 'three attempts');
    expect(h.service.stats.link).not.toBe('ready');
    expect(h.logs.lines.some((l) => l.includes('refused the registration: unauthorized'))).toBe(true);
  });

  it('refuses a manager of another major protocol version with unsupported-version, and tries again later', async () => {
    const { m, h } = await setup({}, { protocolVersion: '2.0' });
    await m.waitFor(() => m.registrations.length >= 2, 5_000, 'a second attempt');
    expect(m.of('error')[0]).toEqual({ channel: 'connector', command: 'error', code: 'unsupported-version', message: 'protocol 2.0 is not supported; this connector speaks 1.2' });
    expect(m.of('lines')).toEqual([]);
    expect(h.service.stats.link).not.toBe('ready');
    expect(h.logs.lines.some((l) => l.includes('another major version'))).toBe(true);
    // A manager upgraded to this major is taken at the next attempt.
    m.options.protocolVersion = '1.7';
    await m.waitFor(() => m.of('lines').length === 1, 5_000, 'lines after an accepted registration');
    expect(h.service.stats.link).toBe('ready');
  });

  it('drops a manager that never answers the registration in time, and tries again', async () => {
    const { m, h } = await setup({ service: { handshakeTimeoutMs: 150 } }, { silent: true });
    await m.waitFor(() => m.registrations.length >= 2, 5_000, 'a second attempt after the handshake time');
    expect(h.service.stats.link).not.toBe('ready');
    expect(h.logs.lines.some((l) => l.includes('did not complete the registration in time'))).toBe(true);
  });

  it('ignores a command the manager sends before it answers the registration', async () => {
    const { m, h } = await setup({}, { silent: true });
    await m.waitFor(() => m.registrations.length === 1, 5_000, 'registration');
    m.send({ channel: 'connector', command: 'reinitialize', requestId: 'early-1' });
    await until(() => h.logs.lines.some((l) => l.includes('message before registration ignored')), 5_000, 'the log line');
    expect(m.of('result')).toEqual([]);
    expect(h.service.stats.link).toBe('registering');
  });

  it('starts the back-off again from its first step after a registration was accepted', async () => {
    const { m, h } = await setup({}, { refuse: 'unauthorized' });
    await m.waitFor(() => m.registrations.length >= 3, 5_000, 'three refused attempts');
    m.options.refuse = undefined;
    await m.waitFor(() => m.of('lines').length === 1, 5_000, 'an accepted registration');
    const accepted = m.registrations.length;
    const before = h.logs.records.length;
    m.dropConnections();
    await m.waitFor(() => m.registrations.length === accepted + 1, 5_000, 're-registration');
    const down = h.logs.records.slice(before).find((r) => String(r.msg).startsWith('manager link down'));
    // Counted since the last success: one attempt, whatever the refusals before it made.
    expect(down?.attempt).toBe(1);
    expect(down?.ceilingMs).toBe(20);
  });

  it('never writes the connector key into its log, even at LogLevel 6', async () => {
    const { m, h } = await setup();
    await m.waitFor(() => m.of('lines').length === 1);
    m.dropConnections();
    await m.waitFor(() => m.registrations.length === 2);
    expect(h.logs.lines.length).toBeGreaterThan(5);
    expect(h.logs.lines.filter((l) => l.includes(KEY))).toEqual([]);
  });
});
