// The service with a BufferFile against the fake manager: which registration
// claims lastAckedSeq, and how a restored sequence meets a manager that has
// seen more of it than the file says.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FakeManager, until } from '../support/fake-manager.ts';
import { startHarness, type Harness } from '../support/harness.ts';
import { crashCopy, tempDir } from '../support/journal.ts';

const dir = tempDir('crm-tapi-durable-svc-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const managers: FakeManager[] = [];
const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.service.stop();
  for (const m of managers.splice(0)) await m.close();
});

async function manager(autoAck = true): Promise<FakeManager> {
  const m = await FakeManager.start({ autoAck });
  managers.push(m);
  return m;
}

async function connector(m: FakeManager, file: string): Promise<Harness> {
  const h = await startHarness(m, { config: { BufferFile: file } });
  harnesses.push(h);
  return h;
}

/** Toggles line 20 `count` times: one lineState event each. */
function lineEvents(h: Harness, count: number, start = 0): void {
  for (let i = start; i < start + count; i += 1) h.pbx.setInService('20', i % 2 === 1);
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ConnectorService with a BufferFile', () => {
  it('registers without lastAckedSeq on a new file, and with it after a restart on the same file', async () => {
    const file = join(dir, 'restart.sqlite');
    const m = await manager();
    const a = await connector(m, file);
    await m.waitFor(() => m.of('synced').length === 1, 5_000, 'A synced');
    expect(m.registrations[0]?.lastAckedSeq).toBeUndefined();
    lineEvents(a, 3);
    await until(() => a.service.stats.buffer.ackedSeq === 3, 5_000, 'A acknowledged');
    await a.service.stop();
    harnesses.splice(0);

    const b = await connector(m, file);
    await m.waitFor(() => m.registrations.length === 2, 5_000, 'B registered');
    expect(m.registrations[1]?.lastAckedSeq).toBe(3);
    lineEvents(b, 1);
    await m.waitFor(() => m.events.length === 4, 5_000, 'the next event');
    expect(m.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(m.violations).toEqual([]);
  });

  it('after a crash, events the manager accepted but never acknowledged are not sent again', async () => {
    const file = join(dir, 'crash.sqlite');
    const m = await manager(false);
    const a = await connector(m, file);
    await m.waitFor(() => m.of('synced').length === 1, 5_000, 'A synced');
    lineEvents(a, 5);
    await m.waitFor(() => m.events.length === 5, 5_000, 'five events');
    m.ack(2);
    await until(() => a.service.stats.buffer.ackedSeq === 2, 5_000, 'ack 2');
    await turn();
    // The events are committed; the moved ack point may not be yet (it is written lazily).
    const copy = join(dir, 'crash-copy.sqlite');
    crashCopy(file, copy);

    m.options.autoAck = true;
    const b = await startHarness(m, { config: { BufferFile: copy }, noStart: true });
    harnesses.push(b);
    const restored = b.service.stats.buffer;
    expect(restored).toMatchObject({ lastSeq: 5, size: 5 - restored.ackedSeq });
    expect([0, 2]).toContain(restored.ackedSeq);
    await b.service.start();
    await m.waitFor(() => m.registrations.length === 2 && m.of('synced').length === 2, 5_000, 'B synced');
    expect(m.registrations[1]?.lastAckedSeq).toBe(restored.ackedSeq);
    // The fake manager answered with its own point (5): nothing is resent.
    expect(m.events.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
    lineEvents(b, 1);
    await m.waitFor(() => m.events.length === 6, 5_000, 'seq 6');
    expect(m.violations).toEqual([]);
  });

  it('numbers on after a manager point beyond the restored sequence', async () => {
    const file = join(dir, 'ahead.sqlite');
    const m = await manager();
    const a = await connector(m, file);
    await m.waitFor(() => m.of('synced').length === 1, 5_000, 'A synced');
    lineEvents(a, 2);
    await until(() => a.service.stats.buffer.ackedSeq === 2, 5_000, 'acknowledged');
    await a.service.stop();
    harnesses.splice(0);

    m.lastSeq = 40;
    const b = await connector(m, file);
    await m.waitFor(() => m.of('synced').length === 2, 5_000, 'B synced');
    lineEvents(b, 1);
    await m.waitFor(() => m.events.length === 3, 5_000, 'the next event');
    expect(m.events.map((e) => e.seq)).toEqual([1, 2, 41]);
    expect(m.violations).toEqual([]);
    expect(b.logs.messages()).toContain('the manager has seen more of this sequence than the buffer holds; numbering continues after its point');
  });

  it('refuses a BufferFile of another ConnectorHost with a typed error', async () => {
    const file = join(dir, 'host.sqlite');
    const m = await manager();
    const a = await connector(m, file);
    await a.service.stop();
    harnesses.splice(0);
    await expect(startHarness(m, { config: { BufferFile: file, ConnectorHost: 'other.test' }, noStart: true })).rejects.toMatchObject({ code: 'buffer-file-other-host' });
  });
});
