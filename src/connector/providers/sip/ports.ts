// Free loopback ports picked at run time, so that several labs, tests and
// phones on one machine never collide on a fixed SIP, RTP or control port.
// A port found free can still be taken before the child binds it; callers
// check that the child really listens and retry with new ports if not.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

export function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function freeUdpPort(host = '127.0.0.1', port = 0): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(undefined);
    });
    socket.bind(port, host, () => {
      const bound = socket.address().port;
      socket.close(() => resolve(bound));
    });
  });
}

/** A UDP port free on both UDP and TCP (SIP may use either), from the kernel's ephemeral range. */
export async function freeSipPort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freeTcpPort(host);
    if ((await freeUdpPort(host, port)) === port) return port;
  }
  return freeTcpPort(host);
}

/**
 * `count` consecutive free UDP ports starting at an even port (RTP on the
 * even port, RTCP on the next), chosen at random so parallel runs spread out.
 */
export async function freeUdpRange(count: number, host = '127.0.0.1', random: () => number = Math.random): Promise<{ from: number; to: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const from = 20_000 + 2 * Math.floor(random() * 10_000);
    let free = true;
    for (let p = from; p < from + count && free; p++) free = (await freeUdpPort(host, p)) === p;
    if (free) return { from, to: from + count - 1 };
  }
  throw new Error(`no ${count} consecutive free UDP ports found`);
}
