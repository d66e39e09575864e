// Ports for the SIP children (baresip, Kamailio, SIPp). baresip 1.0.0 binds
// SIP on UDP and TCP at its port and SIP/TLS at the port + 1 even with
// `sip_transports udp`; a picker that checked only the port itself, from the
// range Linux also hands to outgoing connections, lost that port + 1 to the
// next connection often enough under load that a phone failed all three of
// its start attempts ("ua: SIP/TLS transport failed: Address already in use",
// exit 98).
import { connect, createServer, type Server } from 'node:net';
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { spawnBaresip } from '../../../src/connector/providers/sip/baresip-process.ts';
import { CHILD_PORTS, freeChildTcpPort, freeSipPort, freeUdpRange } from '../../../src/connector/providers/sip/ports.ts';
import { SIP_AVAILABLE } from '../../support/sip-world.ts';

const listen = (port: number): Promise<Server | undefined> =>
  new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
const closeServer = (s: Server) => new Promise<void>((resolve) => s.close(() => resolve()));
const udpBindable = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
/** A random() that returns the value that makes the picker try `base` first, then `then`. */
const aiming = (bases: number[], span: number, step = 1) => {
  const slots = Math.floor((CHILD_PORTS.to - CHILD_PORTS.from - span) / step);
  const values = bases.map((b) => ((b - CHILD_PORTS.from) / step + 0.5) / slots);
  return () => values.shift() ?? Math.random();
};

describe('ports for SIP children', () => {
  it('picks below the ephemeral range, with the port and port + 1 free on TCP and the port free on UDP', async () => {
    for (let i = 0; i < 20; i++) {
      const port = await freeSipPort();
      expect(port).toBeGreaterThanOrEqual(CHILD_PORTS.from);
      expect(port + 1).toBeLessThan(32_768);
      const held = [await listen(port), await listen(port + 1)];
      expect(held.every((s) => s !== undefined)).toBe(true);
      for (const s of held) if (s) await closeServer(s);
      expect(await udpBindable(port)).toBe(true);
    }
  });

  it('skips a port whose port + 1 is taken on TCP (baresip’s SIP/TLS) and one taken on UDP', async () => {
    // Find three free bases in the range to aim at.
    const bases: number[] = [];
    for (let p = CHILD_PORTS.from + 1000 + Math.floor(Math.random() * 5000); bases.length < 4; p += 7) {
      const a = await listen(p);
      const b = await listen(p + 1);
      if (a) await closeServer(a);
      if (b) await closeServer(b);
      if (a && b && (await udpBindable(p))) bases.push(p);
    }
    const [tlsTaken, udpTaken, free, free2] = bases as [number, number, number, number];
    const tls = (await listen(tlsTaken + 1)) as Server;
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(udpTaken, '127.0.0.1', () => resolve()));
    try {
      expect(await freeSipPort('127.0.0.1', aiming([tlsTaken, udpTaken, free], 2))).toBe(free);
      expect(await freeChildTcpPort('127.0.0.1', aiming([tlsTaken + 1, free2], 1))).toBe(free2);
    } finally {
      await closeServer(tls);
      await new Promise<void>((resolve) => udp.close(() => resolve()));
    }
  });

  it('never hands the same port to two phones started side by side', async () => {
    // The same random draws for every picker: without the process's record of
    // ports handed out, all of them would check the same free port and take it.
    const draws = Array.from({ length: 40 }, () => Math.random());
    const sameDraws = () => {
      let i = 0;
      return () => draws[i++ % draws.length] as number;
    };
    const ports = await Promise.all(Array.from({ length: 8 }, () => freeSipPort('127.0.0.1', sameDraws())));
    const taken = ports.flatMap((p) => [p, p + 1]);
    expect(new Set(taken).size).toBe(taken.length);
  });

  it('gives RTP an even base with every port of the range free on UDP', async () => {
    const range = await freeUdpRange(10);
    expect(range.from % 2).toBe(0);
    expect(range.to - range.from).toBe(9);
    expect(range.to).toBeLessThan(32_768);
    for (let p = range.from; p <= range.to; p++) expect(await udpBindable(p)).toBe(true);
  });
});

describe.runIf(SIP_AVAILABLE)('baresip on the picked ports', () => {
  it('listens for SIP/TLS on the SIP port + 1, the port the picker keeps free', async () => {
    const phone = await spawnBaresip({ accounts: ['<sip:100@127.0.0.1:9>;regint=0'] });
    try {
      const deadline = Date.now() + 10_000;
      let connected = false;
      while (!connected && Date.now() < deadline) {
        connected = await new Promise<boolean>((resolve) => {
          const socket = connect(phone.sipPort + 1, '127.0.0.1', () => {
            socket.destroy();
            resolve(true);
          });
          socket.once('error', () => resolve(false));
        });
        if (!connected) await new Promise((r) => setTimeout(r, 100));
      }
      expect(connected).toBe(true);
      expect(phone.child.exitCode).toBeNull();
    } finally {
      await phone.stop();
    }
  });
});
