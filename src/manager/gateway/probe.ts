// The listener self-test's probe: connect to one's own port as a client would
// (TCP, plus the TLS handshake when TLS is on). Our own certificate need not
// be trusted for this: the question is only whether the listener answers.
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** The address a local client uses to reach a listener bound to `bindAddress`. */
export function loopbackFor(bindAddress: string): string {
  if (bindAddress === '0.0.0.0') return '127.0.0.1';
  if (bindAddress === '::') return '::1';
  return bindAddress;
}

export function probeListener(host: string, port: number, tls: boolean, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls ? tlsConnect({ host, port, rejectUnauthorized: false }) : netConnect({ host, port });
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once(tls ? 'secureConnect' : 'connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
