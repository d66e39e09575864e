// Raw TCP has no HTTP timeouts: every limit of the gateway, reached on
// purpose, with the process surviving and memory bounded.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.ts';
import { RawConnector, until } from '../support/raw-connector.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function gateway(settings: Parameters<typeof startGateway>[0] = {}, options: Parameters<typeof startGateway>[1] = {}): Promise<TestGateway> {
  const g = await startGateway(settings, options);
  cleanups.push(() => g.stop());
  return g;
}

async function open(port: number): Promise<RawConnector> {
  const c = await RawConnector.open(port);
  cleanups.push(() => c.close());
  return c;
}

describe('bad frames', () => {
  it('answers a frame that is not XML with an error naming the code, and keeps the connection', async () => {
    const g = await gateway();
    const c = await RawConnector.registered(g.port);
    cleanups.push(() => c.close());
    c.sendPayload('this is not xml');
    await c.waitFor(() => c.of('error').length === 1);
    expect(c.of('error')[0]).toMatchObject({ code: 'malformed-xml' });
    c.call(1, 'c1', '20');
    await c.waitFor(() => c.lastAck() === 1);
    expect(c.closed).toBe(false);
  });

  it('names the request of a bad command in its error reply', async () => {
    const g = await gateway();
    const c = await RawConnector.registered(g.port);
    cleanups.push(() => c.close());
    c.sendPayload('<tapiaction name="connector"><command>result</command><requestId>r-7</requestId><ok>maybe</ok></tapiaction>');
    await c.waitFor(() => c.of('error').length === 1);
    expect(c.of('error')[0]).toMatchObject({ code: 'invalid-field', requestId: 'r-7' });
  });

  it('refuses messages a connector never sends', async () => {
    const g = await gateway();
    const c = await RawConnector.registered(g.port);
    cleanups.push(() => c.close());
    c.send({ channel: 'connector', command: 'ack', seq: 3 });
    c.send({ channel: 'intincall', command: 'heartbeat' });
    await c.waitFor(() => c.of('error').length === 2);
    expect(c.of('error').map((e) => e.code)).toEqual(['unexpected-message', 'unexpected-message']);
  });

  it('closes after MaxBadFrames bad frames in a row', async () => {
    const g = await gateway({ maxBadFrames: 3 });
    const c = await RawConnector.registered(g.port);
    for (let i = 0; i < 5; i += 1) c.sendPayload(`<garbage ${i}`);
    await c.closedPromise;
    expect(c.of('error')).toHaveLength(3);
    await until(() => g.logs.text.includes('3 bad frames in a row'), 'close reason logged');
  });

  it('closes at once on a declared length over the limit, before buffering the payload', async () => {
    const g = await gateway({ maxFrameLength: 1024 });
    const c = await RawConnector.registered(g.port);
    c.sendRaw(Uint8Array.from([0x10, 0x00]));
    await c.closedPromise;
    expect(c.of('error').at(-1)).toMatchObject({ code: 'frame-too-large' });
  });

  it('closes a frame that does not complete in time (slowloris), counted from its first byte', async () => {
    const g = await gateway({ frameTimeoutMs: 300 });
    const c = await RawConnector.registered(g.port);
    const started = Date.now();
    c.sendRaw(Uint8Array.from([0x00, 0x40])); // 64 bytes announced, none sent
    const drip = setInterval(() => c.sendRaw('x'), 50);
    await c.closedPromise;
    clearInterval(drip);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(Date.now() - started).toBeLessThan(2_000);
    await until(() => g.logs.text.includes('was not completed within'), 'close reason logged');
  });

  it('a steady stream whose chunks end mid-frame is not mistaken for a slow frame', async () => {
    const g = await gateway({ frameTimeoutMs: 300 });
    const c = await RawConnector.registered(g.port);
    cleanups.push(() => c.close());
    let seq = 0;
    // Every write ends half-way through the next frame's header.
    const frame = (s: number): Buffer => {
      const body = Buffer.from(`<tapiaction name="connector"><command>eventsLost</command><seq>${s}</seq><count>1</count><firstTimestamp>2024-05-01T12:00:00.000Z</firstTimestamp><lastTimestamp>2024-05-01T12:00:00.000Z</lastTimestamp></tapiaction>`);
      return Buffer.concat([Buffer.from([body.length >> 8, body.length & 0xff]), body]);
    };
    let carry: Buffer = Buffer.alloc(0);
    const started = Date.now();
    while (Date.now() - started < 700) {
      seq += 1;
      const next = frame(seq);
      c.sendRaw(Buffer.concat([carry, next.subarray(0, next.length - 10)]));
      carry = next.subarray(next.length - 10);
      await new Promise((r) => setTimeout(r, 40));
    }
    c.sendRaw(carry);
    await c.waitFor(() => c.lastAck() === seq, `ack ${seq}`);
    expect(c.closed).toBe(false);
  });
});

describe('connection caps', () => {
  it('past MaxUnregisteredConnections the oldest unregistered connection makes room for a newcomer (issue 11, break 4)', async () => {
    const g = await gateway({ maxUnregistered: 2 });
    const a = await open(g.port);
    const b = await open(g.port);
    await until(() => g.gateway.diagnose().sockets.length === 2, 'two accepted');
    const third = await open(g.port);
    await a.closedPromise;
    third.register();
    await third.waitFor(() => third.of('registered').length === 1);
    expect(b.closed).toBe(false);
    expect(g.logs.text).toContain('MaxUnregisteredConnections reached');
  });

  it('refuses connections past MaxConnectorConnections when all are registered', async () => {
    const g = await gateway({ maxConnections: 3, maxUnregistered: 3 });
    const hosts = ['a.test', 'b.test', 'c.test'];
    for (const host of hosts) {
      const c = await RawConnector.registered(g.port, host);
      cleanups.push(() => c.close());
    }
    const extra = await open(g.port);
    await extra.closedPromise;
    expect(g.logs.text).toContain('MaxConnectorConnections reached');
  });
});

describe('keep-alive', () => {
  it('closes a silent connector after the interval plus grace and marks its lines unavailable', async () => {
    const g = await gateway({ keepAliveSeconds: 1 }, { keepAliveGraceMs: 0 });
    const c = await RawConnector.registered(g.port);
    c.lines(['20', '21']);
    await until(() => g.gateway.lines().length === 2);
    const started = Date.now();
    await c.closedPromise;
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
    await until(() => g.gateway.lines().every((l) => !l.connectorOnline));
    expect(g.lineEvents.filter((e) => e.kind === 'changed').map((e) => e.kind === 'changed' && e.line.connectorOnline)).toEqual([false, false]);
    expect(g.gateway.diagnose().connectors[0]?.lines.map((l) => l.inService)).toEqual([false, false]);
    await until(() => g.logs.text.includes('nothing received for 1 s (keep-alive interval 1 s + grace 0 s)'), 'the reason names the interval and the grace');
  });

  it('a frame still arriving is not silence: bytes keep a connector alive, the frame deadline bounds the frame', async () => {
    const g = await gateway({ keepAliveSeconds: 1, frameTimeoutMs: 5_000 }, { keepAliveGraceMs: 200 });
    const c = await RawConnector.registered(g.port);
    cleanups.push(() => c.close());
    const body = Buffer.from('<tapiaction name="connector"><command>keepalive</command></tapiaction>');
    const frame = Buffer.concat([Buffer.from([body.length >> 8, body.length & 0xff]), body]);
    // One byte every 40 ms: the frame takes about 2.8 s, over twice the 1.2 s silence limit.
    const started = Date.now();
    for (const byte of frame) {
      c.sendRaw(Uint8Array.from([byte]));
      await new Promise((r) => setTimeout(r, 40));
    }
    await c.waitFor(() => c.of('keepalive').length === 1, 'the trickled keepalive answered');
    expect(Date.now() - started).toBeGreaterThan(2_400);
    expect(c.closed).toBe(false);
    expect(g.logs.text).not.toContain('nothing received');
  });

  it('keeps a connector that sends keepalives, and answers each', async () => {
    const g = await gateway({ keepAliveSeconds: 1 }, { keepAliveGraceMs: 0 });
    const c = await RawConnector.registered(g.port);
    cleanups.push(() => c.close());
    for (let i = 0; i < 6; i += 1) {
      c.send({ channel: 'connector', command: 'keepalive' });
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(c.closed).toBe(false);
    expect(c.of('keepalive').length).toBe(6);
  });
});

describe('back-pressure', () => {
  it('drops a connector that does not read once the bytes waiting pass the cap', async () => {
    const g = await gateway({ maxSendBuffer: 64 * 1024 });
    const c = await RawConnector.registered(g.port);
    c.socket.pause();
    const keepalive = Buffer.from('<tapiaction name="connector"><command>keepalive</command></tapiaction>');
    const frame = Buffer.concat([Buffer.from([0, keepalive.length]), keepalive]);
    const batch = Buffer.concat(Array.from({ length: 1000 }, () => frame));
    for (let i = 0; i < 400 && !c.closed; i += 1) {
      c.socket.write(batch);
      await new Promise((r) => setTimeout(r, 2));
    }
    await until(() => g.logs.text.includes('connector does not read'), 'dropped', 10_000);
    c.close();
  });
});

describe('a flood of garbage', () => {
  it('leaves the gateway working and its memory bounded', async () => {
    const g = await gateway({ maxBadFrames: 3, maxUnregistered: 8 });
    const gc = collector();
    gc();
    const before = process.memoryUsage().heapUsed;
    const junk = Buffer.alloc(256 * 1024, 0x41);
    let sent = 0;
    for (let round = 0; round < 64; round += 1) {
      const c = await RawConnector.open(g.port).catch(() => undefined);
      if (c === undefined) continue;
      c.sendRaw(junk);
      sent += junk.length;
      await c.closedPromise;
    }
    await until(() => g.gateway.diagnose().sockets.length === 0, 'every flooding connection gone');
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(sent).toBeGreaterThanOrEqual(16 * 1024 * 1024);
    // Nothing of the 16 MiB stays: what is left is noise of the test itself.
    expect(grown).toBeLessThan(2 * 1024 * 1024);
    const ok = await RawConnector.registered(g.port);
    cleanups.push(() => ok.close());
    expect(ok.of('registered')).toHaveLength(1);
  });
});

/** A full garbage collection, so heap figures compare what is still referenced. */
function collector(): () => void {
  setFlagsFromString('--expose_gc');
  return runInNewContext('gc') as () => void;
}
