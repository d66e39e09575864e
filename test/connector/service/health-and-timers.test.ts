import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeManager, until } from '../support/fake-manager.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { LineProviderError } from '../../../src/connector/line-provider.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(options: Parameters<typeof startHarness>[1] = {}, managerOptions = {}): Promise<{ m: FakeManager; h: Harness }> {
  const m = await FakeManager.start(managerOptions);
  cleanups.push(() => m.close());
  const h = await startHarness(m, options);
  cleanups.push(() => h.service.stop());
  await m.waitFor(() => m.of('lines').length === 1);
  return { m, h };
}

/** Lets socket I/O run without touching (possibly fake) timers. */
async function ioTurns(n = 20): Promise<void> {
  for (let i = 0; i < n; i += 1) await new Promise((r) => setImmediate(r));
}

function countReinit(h: Harness, failFirst = 0): { calls: number } {
  const counter = { calls: 0 };
  const original = h.provider.reinitialize.bind(h.provider);
  h.provider.reinitialize = async () => {
    counter.calls += 1;
    if (counter.calls <= failFirst) throw Object.assign(new Error('driver busy'), { code: 'provider-down' });
    return original();
  };
  return counter;
}

describe('keep-alive timing (fake timers)', () => {
  it('sends a keepalive after each quiet interval: the smaller of ConnectionKeepAliveIntervall and the manager’s, live', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const { m, h } = await setup({ config: { ConnectionKeepAliveIntervall: 20 } }, { keepAliveInterval: 10 });
    expect(h.service.stats.keepAliveSeconds).toBe(10);
    vi.advanceTimersByTime(9_999);
    await ioTurns();
    expect(m.of('keepalive')).toHaveLength(0);
    vi.advanceTimersByTime(1);
    await m.waitFor(() => m.of('keepalive').length === 1);
    vi.advanceTimersByTime(10_000);
    await m.waitFor(() => m.of('keepalive').length === 2);
    h.service.applyLiveSettings({ ConnectionKeepAliveIntervall: 3, RejectViaDisconnect: false });
    vi.advanceTimersByTime(3_000);
    await m.waitFor(() => m.of('keepalive').length === 3);
    await ioTurns();
    expect(m.of('keepalive')).toHaveLength(3);
    // Other traffic counts as a sign of life: an event 2 s before the tick postpones the keepalive.
    vi.advanceTimersByTime(1_000);
    h.pbx.incoming({ number: '0301' }, '20');
    await m.waitFor(() => m.of('callState').length === 1);
    vi.advanceTimersByTime(2_000);
    await ioTurns();
    expect(m.of('keepalive')).toHaveLength(3);
    vi.advanceTimersByTime(1_000);
    await m.waitFor(() => m.of('keepalive').length === 4);
    vi.useRealTimers();
  });
});

describe('provider health', () => {
  it('re-initialises when the provider asks for it (REINIT), retrying with back-off', async () => {
    const { h } = await setup();
    const counter = countReinit(h, 2);
    h.pbx.requestReinit('LINE_CLOSE on every line');
    await until(() => h.logs.messages().includes('lines re-initialised'), 5_000, 're-initialisation');
    expect(counter.calls).toBe(3);
    expect(h.logs.messages().filter((x) => x.startsWith('re-initialisation failed'))).toHaveLength(2);
  });

  it('reports every line out of service while the phone system is down, and back in service after', async () => {
    const { m, h } = await setup();
    h.pbx.restart(5_000);
    await m.waitFor(() => m.events.filter((e) => e.command === 'lineState' && !e.inService).length === 3, 5_000, 'out of service');
    h.clock.advance(5_000);
    await m.waitFor(() => m.events.filter((e) => e.command === 'lineState' && e.inService).length === 3, 5_000, 'back in service');
    expect(m.violations).toEqual([]);
  });

  it('calls off its own re-initialisation when the phone system comes back by itself', async () => {
    // The first attempt waits a whole back-off step: time for the phone system to come back.
    const { m, h } = await setup({ service: { reopenBackoff: { baseMs: 60_000, capMs: 60_000 } } });
    const counter = countReinit(h);
    h.pbx.restart(5_000);
    await until(() => h.service.stats.providerRecovering, 5_000, 'a recovery under way');
    h.clock.advance(5_000);
    await m.waitFor(() => m.events.filter((e) => e.command === 'lineState' && e.inService).length === 3, 5_000, 'back in service');
    expect(h.service.stats.providerRecovering).toBe(false);
    expect(counter.calls).toBe(0);
  });

  it('re-initialises all lines daily at NewInitTime (virtual clock)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(new Date(2024, 5, 3, 3, 59, 0));
    const { h } = await setup({ config: { NewInitTime: '4:00', ConnectionKeepAliveIntervall: 3600 } }, { keepAliveInterval: 3600 });
    const counter = countReinit(h);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(counter.calls).toBe(0);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(counter.calls).toBe(1);
    await vi.advanceTimersByTimeAsync(24 * 3600_000);
    expect(counter.calls).toBe(2);
    vi.useRealTimers();
  });
});

describe('graceful stop', () => {
  it('waits a bounded time for the manager, reports what stayed unacknowledged, closes provider and socket', async () => {
    const { m, h } = await setup({ service: { flushTimeoutMs: 200 } }, { autoAck: false });
    h.pbx.incoming({ number: '0301' }, '20');
    await m.waitFor(() => m.events.length === 1);
    const started = performance.now();
    const summary = await h.service.stop();
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(summary.unacknowledged).toBe(1);
    expect(h.logs.messages()).toContain('stopped with events the manager has not acknowledged');
    await m.waitFor(() => m.sockets.size === 0, 5_000, 'socket closed');
    expect(h.provider.lines()).toEqual([]);
  });

  it('flushes what was buffered while the manager was away once it comes back during the stop', async () => {
    const { m, h } = await setup({ service: { flushTimeoutMs: 3_000 } });
    m.options.away = true;
    m.dropConnections();
    h.pbx.incoming({ number: '0302' }, '21');
    await until(() => h.service.stats.buffer.lastSeq === 1);
    const stopping = h.service.stop();
    m.options.away = false;
    expect(await stopping).toEqual({ unacknowledged: 0 });
    expect(m.events.map((e) => e.command)).toEqual(['callState']);
  });

  it('lets a command under way answer before it closes the link', async () => {
    const { m, h } = await setup({ service: { flushTimeoutMs: 3_000 } });
    let finish: (() => void) | undefined;
    const makeCall = h.provider.makeCall.bind(h.provider);
    h.provider.makeCall = (line, dialString) => new Promise<string>((resolve, reject) => {
      finish = () => void makeCall(line, dialString).then(resolve, reject);
    });
    m.send({ channel: 'connector', command: 'makeCall', requestId: 'late', line: '20', dialString: '0301' });
    await until(() => finish !== undefined, 5_000, 'the command under way');
    const stopping = h.service.stop();
    setTimeout(() => finish?.(), 100);
    await stopping;
    expect(m.of('result').find((r) => r.requestId === 'late')).toEqual({ channel: 'connector', command: 'result', requestId: 'late', ok: true, callId: expect.any(String) });
  });
});

describe('a phone system that cannot be reached at start', () => {
  it('registers with no lines meanwhile, and announces the lines as lineAdded once the provider opens', async () => {
    const m = await FakeManager.start();
    cleanups.push(() => m.close());
    const h = await startHarness(m, { noStart: true });
    cleanups.push(() => h.service.stop());
    const open = h.provider.open.bind(h.provider);
    let attempts = 0;
    // The first attempt fails; the second waits until the manager has the (empty) line list.
    h.provider.open = async () => {
      attempts += 1;
      if (attempts === 1) throw new LineProviderError('provider-down', 'the phone system is not there yet');
      await m.waitFor(() => m.of('lines').length === 1, 5_000, 'the first line list');
      return open();
    };
    await h.service.start();
    await m.waitFor(() => m.events.filter((e) => e.command === 'lineAdded').length === 3, 5_000, 'three lineAdded');
    expect(m.of('lines')[0]?.lines).toEqual([]);
    expect(m.events.map((e) => (e.command === 'lineAdded' ? e.line.name : e.command))).toEqual(['20', '21', '22']);
    expect(h.service.stats.lines).toBe(3);
    expect(m.violations).toEqual([]);
  });
});
