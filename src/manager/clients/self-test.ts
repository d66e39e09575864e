// The listener self-test (manual: every ListenerTestIntervall seconds the
// manager tests its own listener): connect as a client would, send the
// manual's `connect` marked as `incalltest`, and expect a `challenge`.
import { WebSocket } from 'ws';
import { decodeMessage, encodeMessage, MAX_FRAME_LENGTH } from '../../protocol/index.ts';

export function selfTestHost(bindAddress: string): string {
  if (bindAddress === '0.0.0.0') return '127.0.0.1';
  if (bindAddress === '::') return '::1';
  return bindAddress;
}

export async function probeListener(url: string, origin: string | undefined, timeoutMs = 5000): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    let settled = false;
    const ws = new WebSocket(url, {
      maxPayload: MAX_FRAME_LENGTH,
      handshakeTimeout: timeoutMs,
      // The test checks that our own listener answers, not whom its certificate names.
      rejectUnauthorized: false,
      ...(origin === undefined ? {} : { origin }),
    });
    const done = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.removeAllListeners('message');
      ws.on('error', () => undefined);
      if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'self-test done');
      else ws.terminate();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    timer.unref();
    ws.on('error', () => done(false));
    ws.on('close', () => done(false));
    ws.on('open', () => {
      ws.send(encodeMessage({ channel: 'intincall', command: 'connect', registration: 'auto', incallVersion: '1.0', incallClient: 'incalltest' }));
    });
    ws.on('message', (data: Buffer) => {
      try {
        const m = decodeMessage(data.toString('utf8'));
        done(m.command === 'challenge');
      } catch {
        done(false);
      }
    });
  });
}
