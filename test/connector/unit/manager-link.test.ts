// The link's own bound on what it holds for a manager that stopped reading.
// The service never writes events past back-pressure (transport.test.ts), but
// results and keep-alives may be written regardless; this is the cap that keeps
// them from growing without bound.
import { afterEach, describe, expect, it } from 'vitest';
import pino from 'pino';
import { encodeMessageFrame, type TapiMessage } from '../../../src/protocol/index.ts';
import { MAX_UNSENT_BYTES, ManagerLink } from '../../../src/connector/manager-link.ts';
import { LogCapture } from '../support/harness.ts';
import { FakeManager, until } from '../support/fake-manager.ts';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A `lines` message of about 60 KB: a frame close to the protocol's limit. */
function bigMessage(): TapiMessage {
  const lines = Array.from({ length: 190 }, (_, i) => ({
    name: `line-${i}-${'x'.repeat(110)}`,
    address: String(1000 + i),
    permanentId: `p${i}`,
    mediaModes: ['audio' as const],
    inService: true,
    rejectAllowed: false,
    controls: [],
  }));
  return { channel: 'connector', command: 'lines', lines };
}

describe('the manager link', () => {
  it(`drops a manager that stopped reading before more than ${MAX_UNSENT_BYTES} bytes wait unsent`, async () => {
    // Answers the registration, then never reads again.
    const manager = await FakeManager.start({ stallAfterRegister: true });
    cleanups.push(() => manager.close());
    const logs = new LogCapture();
    const downs: string[] = [];
    let ready = false;
    const link = new ManagerLink({
      endpoint: { host: '127.0.0.1', port: manager.port },
      register: () => ({ channel: 'connector', command: 'register', protocolVersion: '1.2', connectorVersion: '0.1.0', host: 'pbx.test', connectorKey: 'k'.repeat(32) }),
      handler: { onReady: () => (ready = true), onMessage: () => {}, onWritable: () => {}, onDown: (reason) => downs.push(reason) },
      logger: pino({ level: 'debug' }, logs),
      random: () => 0.5,
      backoff: { baseMs: 60_000, capMs: 60_000 },
    });
    cleanups.push(() => link.stop(0));
    link.start();
    await until(() => ready, 5_000, 'registered');
    const message = bigMessage();
    const frameBytes = encodeMessageFrame(message).length;
    expect(frameBytes).toBeGreaterThan(50_000);
    let most = 0;
    // Three times the cap: the kernel's socket buffers hold a few MB, the rest waits in the process.
    for (let i = 0; i < Math.ceil((3 * MAX_UNSENT_BYTES) / frameBytes) && link.state === 'ready'; i += 1) {
      link.send(message);
      most = Math.max(most, link.unsentBytes);
      if (i % 20 === 19) await new Promise((r) => setImmediate(r));
    }
    await until(() => downs.length === 1, 5_000, 'the link to go down');
    expect(most).toBeGreaterThan(MAX_UNSENT_BYTES - 2 * frameBytes);
    expect(most).toBeLessThanOrEqual(MAX_UNSENT_BYTES);
    expect(logs.lines.some((l) => l.includes('the manager stopped reading'))).toBe(true);
    expect(link.state).toBe('idle');
  });
});
