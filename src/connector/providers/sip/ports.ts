// Free loopback ports picked at run time, so that several labs, tests and
// phones on one machine never collide on a fixed SIP, RTP or control port.
// A port found free can still be taken before the child binds it; callers
// check that the child really listens and retry with new ports if not.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

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

/**
 * Linux hands out ports from `ip_local_port_range` (32768–60999 by default)
 * both for `listen(0)` and for every outgoing connection. A port found free
 * there is the kind the next outgoing connection takes before a child binds
 * it — and baresip 1.0.0 binds SIP/TLS on the SIP port + 1, an even port,
 * which is what Linux prefers for connect(). Ports for children are therefore
 * drawn at random below that range, where only other random pickers compete
 * (and they check, as here).
 */
export const CHILD_PORTS = { from: 10_000, to: 32_000 } as const;

/**
 * Ports this process handed out lately, until their child has had time to bind
 * them: phones started side by side would otherwise draw the same free port.
 */
const handedOut = new Map<number, number>();
const HOLD_MS = 30_000;

function recentlyHandedOut(ports: readonly number[], now = Date.now()): boolean {
  for (const [port, until] of handedOut) if (until < now) handedOut.delete(port);
  return ports.some((p) => handedOut.has(p));
}

/** Whether every port at `base + offset` is free: `udp` offsets on UDP, `tcp` offsets on TCP. */
async function freeAt(base: number, udp: readonly number[], tcp: readonly number[], host: string): Promise<boolean> {
  if (recentlyHandedOut([...udp, ...tcp].map((o) => base + o))) return false;
  for (const o of udp) if ((await freeUdpPort(host, base + o)) !== base + o) return false;
  for (const o of tcp) if (!(await tcpFree(host, base + o))) return false;
  return true;
}

function tcpFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** A base port below the ephemeral range with the given offsets free; `step` 2 keeps it even (RTP). */
async function freeChildPorts(what: string, span: number, udp: readonly number[], tcp: readonly number[], host: string, random: () => number, step = 1): Promise<number> {
  const slots = Math.floor((CHILD_PORTS.to - CHILD_PORTS.from - span) / step);
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = CHILD_PORTS.from + step * Math.floor(random() * slots);
    if (await freeAt(base, udp, tcp, host) && !recentlyHandedOut([...udp, ...tcp].map((o) => base + o))) {
      for (const o of new Set([...udp, ...tcp])) handedOut.set(base + o, Date.now() + HOLD_MS);
      return base;
    }
  }
  throw new Error(`no free ${what} found on ${host} between ${CHILD_PORTS.from} and ${CHILD_PORTS.to}`);
}

/**
 * A SIP port for a child (baresip, Kamailio, SIPp): free on UDP and TCP, and
 * the port after it free on TCP (baresip's SIP/TLS listener).
 */
export function freeSipPort(host = '127.0.0.1', random: () => number = Math.random): Promise<number> {
  return freeChildPorts('SIP port', 2, [0], [0, 1], host, random);
}

/** A TCP port for a child's listener (baresip's ctrl_tcp). */
export function freeChildTcpPort(host = '127.0.0.1', random: () => number = Math.random): Promise<number> {
  return freeChildPorts('TCP port', 1, [], [0], host, random);
}

/**
 * `count` consecutive free UDP ports starting at an even port (RTP on the
 * even port, RTCP on the next), chosen at random so parallel runs spread out.
 */
export async function freeUdpRange(count: number, host = '127.0.0.1', random: () => number = Math.random): Promise<{ from: number; to: number }> {
  const from = await freeChildPorts(`${count} consecutive UDP ports`, count, Array.from({ length: count }, (_, i) => i), [], host, random, 2);
  return { from, to: from + count - 1 };
}
