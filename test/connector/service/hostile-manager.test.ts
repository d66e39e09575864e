// A manager that sends garbage, an oversized length, or closes mid-frame must
// never crash the connector: it answers with an error or reconnects, and keeps working.
import { afterEach, describe, expect, it } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import { encodeFrame, encodeUtf8 } from '../../../src/protocol/index.ts';
import { FakeManager, until } from '../support/fake-manager.ts';
import { startHarness, type Harness } from '../support/harness.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(): Promise<{ m: FakeManager; h: Harness }> {
  const m = await FakeManager.start();
  cleanups.push(() => m.close());
  const h = await startHarness(m);
  cleanups.push(() => h.service.stop());
  await m.waitFor(() => m.of('lines').length === 1);
  return { m, h };
}

/**
 * Proves the connector still works: a command round trip. After garbage the
 * stream may be out of step until the connector drops it, so the command is
 * repeated (new request ids) until one is answered.
 */
async function stillWorks(m: FakeManager, id: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (let n = 0; Date.now() < deadline; n += 1) {
    const requestId = `${id}-${n}`;
    if (m.sockets.size === 1) m.send({ channel: 'connector', command: 'reinitialize', requestId });
    try {
      await m.waitFor(() => m.of('result').some((r) => r.requestId === requestId && r.ok), 150, `result ${requestId}`);
      return;
    } catch {
      // not answered on this connection; try again
    }
  }
  throw new Error('the connector stopped answering');
}

describe('a hostile manager', () => {
  it('gets an error reply for a frame of garbage and the link stays up', async () => {
    const { m } = await setup();
    m.sendRaw(encodeFrame('this is not xml <<<'));
    m.sendRaw(encodeFrame('<tapiaction name="connector"><command>selfDestruct</command><requestId>q9</requestId></tapiaction>'));
    m.sendRaw(encodeFrame('<tapiaction name="intincall"><command>heartbeat</command></tapiaction>'));
    await m.waitFor(() => m.of('error').length === 3, 5_000, 'three error replies');
    expect(m.of('error').map((e) => e.code)).toEqual(['malformed-xml', 'unknown-command', 'unexpected-message']);
    expect(m.of('error')[1]?.requestId).toBe('q9');
    expect(m.registrations).toHaveLength(1);
    await stillWorks(m, 'g1');
  });

  it('drops a stream whose frames stay undecodable (out of step) and registers again', async () => {
    const { m, h } = await setup();
    for (let i = 0; i < 3; i += 1) m.sendRaw(encodeFrame(`garbage ${i}`));
    await m.waitFor(() => m.registrations.length === 2, 5_000, 're-registration');
    expect(h.logs.lines.some((l) => l.includes('out of step'))).toBe(true);
    await stillWorks(m, 's1');
  });

  it('reconnects when the manager stops acknowledging, without sending anything twice', async () => {
    const m = await FakeManager.start({ autoAck: false });
    cleanups.push(() => m.close());
    const h = await startHarness(m, { service: { ackTimeoutMs: 150 } });
    cleanups.push(() => h.service.stop());
    await m.waitFor(() => m.of('lines').length === 1);
    h.pbx.incoming({ number: '0301' }, '20');
    await m.waitFor(() => m.registrations.length === 2, 5_000, 're-registration after the stall');
    expect(h.logs.lines.some((l) => l.includes('no acknowledgement from the manager'))).toBe(true);
    m.ack();
    await until(() => h.service.stats.buffer.ackedSeq === m.lastSeq && m.lastSeq > 0);
    expect(m.violations).toEqual([]);
  });

  it('counts undecodable frames in a row only: a good frame between them keeps the link', async () => {
    const { m, h } = await setup();
    m.sendRaw(encodeFrame('garbage 1'));
    m.sendRaw(encodeFrame('garbage 2'));
    m.send({ channel: 'connector', command: 'reinitialize', requestId: 'between' });
    m.sendRaw(encodeFrame('garbage 3'));
    m.sendRaw(encodeFrame('garbage 4'));
    await m.waitFor(() => m.of('error').length === 4 && m.of('result').some((r) => r.requestId === 'between'), 5_000, 'four error replies and the result');
    expect(m.registrations).toHaveLength(1);
    expect(h.logs.lines.some((l) => l.includes('out of step'))).toBe(false);
  });

  it('drops the connection on an oversized length and registers again', async () => {
    const { m, h } = await setup();
    m.sendRaw(new Uint8Array([0xff, 0xff, 0x3c]));
    await m.waitFor(() => m.registrations.length === 2, 5_000, 're-registration');
    expect(h.logs.lines.some((l) => l.includes('frame-too-large'))).toBe(true);
    await stillWorks(m, 'o1');
  });

  it('survives a manager that closes in the middle of a frame', async () => {
    const { m, h } = await setup();
    const frame = encodeFrame('<tapiaction name="connector"><command>ack</command><seq>0</seq></tapiaction>');
    m.sendRaw(frame.subarray(0, 9));
    await new Promise((r) => setTimeout(r, 20));
    for (const s of m.sockets) s.end();
    await m.waitFor(() => m.registrations.length === 2, 5_000, 're-registration');
    expect(h.logs.lines.some((l) => l.includes('inside a frame'))).toBe(true);
    await stillWorks(m, 'c1');
  });

  fcTest.prop([fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 6 })], { numRuns: 15 })(
    'random bytes never crash it',
    async (chunks) => {
      const { m } = await setup();
      for (const c of chunks) m.sendRaw(c);
      await new Promise((r) => setTimeout(r, 30));
      // Random bytes may leave the connector waiting for the rest of a long
      // "frame"; a real manager would drop its garbled connection, so do that.
      const registered = m.registrations.length;
      m.dropConnections();
      await m.waitFor(() => m.registrations.length > registered, 5_000, 're-registration');
      await stillWorks(m, 'f1');
      for (const c of cleanups.splice(0).reverse()) await c();
    },
  );

  fcTest.prop([fc.string({ maxLength: 200 }).map((s) => encodeFrame(encodeUtf8(`<tapiaction name="connector">${s}</tapiaction>`)))], { numRuns: 15 })(
    'random envelopes get an answer or are ignored, never a crash',
    async (frame) => {
      const { m } = await setup();
      m.sendRaw(frame);
      await new Promise((r) => setTimeout(r, 20));
      await stillWorks(m, 'f2');
      for (const c of cleanups.splice(0).reverse()) await c();
    },
  );
});
