// The suite's end of a WebSocket (spec §2.2: one XML document per text
// message), as a client of a manager or as the accepted socket of a client.
// Like TcpPeer it feeds an Inbox and turns garbage, floods and closes into
// reasons.
import { WebSocket } from 'ws';
import { decodeMessage, encodeMessage, ProtocolError, type TapiMessage } from '../protocol/index.ts';
import { CaseFailure } from './case.ts';
import { Inbox } from './inbox.ts';
import type { Scope } from './scope.ts';
import { describe } from './tcp-peer.ts';

export class WsPeer {
  readonly inbox: Inbox;
  readonly unknown: string[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  closeCode: number | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly peerName: string,
  ) {
    this.inbox = new Inbox(peerName, undefined, () => ws.terminate());
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return this.garbage(`the ${peerName} sent a binary message (§2.2 allows text only)`);
      let message: TapiMessage;
      try {
        message = decodeMessage(data.toString('utf8'));
      } catch (err) {
        if (err instanceof ProtocolError && err.code === 'unknown-command') {
          this.unknown.push(err.message);
          return;
        }
        return this.garbage(`the ${peerName} sent a message that is not a protocol message (${describe(err)})`);
      }
      this.inbox.push(message);
    });
    ws.on('error', () => undefined);
    this.closed = new Promise((resolve) => ws.once('close', (code: number, reason: Buffer) => {
      this.closeCode = code;
      this.inbox.end(`the ${peerName} closed the WebSocket (code ${code}${reason.length > 0 ? `, ${reason.toString().slice(0, 100)}` : ''})`);
      resolve({ code, reason: reason.toString() });
    }));
  }

  static open(url: string, peerName: string, scope: Scope, timeoutMs: number, origin?: string): Promise<WsPeer> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { ...(origin ? { origin } : {}), handshakeTimeout: timeoutMs, maxPayload: 1 << 20 });
      scope.add(() => ws.terminate());
      ws.once('open', () => resolve(new WsPeer(ws, peerName)));
      ws.once('unexpected-response', (_req, res) => {
        reject(new CaseFailure(`the ${peerName} refused the WebSocket upgrade at ${url}: HTTP ${res.statusCode ?? '?'}`));
        res.resume();
      });
      ws.once('error', (err: NodeJS.ErrnoException) => reject(new CaseFailure(`could not open a WebSocket to the ${peerName} at ${url}: ${err.code ?? err.message}`)));
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN && this.inbox.endReason === undefined;
  }

  private garbage(reason: string): void {
    this.inbox.end(reason);
    this.ws.terminate();
  }

  send(message: TapiMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(encodeMessage(message));
  }

  sendText(text: string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  sendBinary(bytes: Uint8Array): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes, { binary: true });
  }

  /** The close code when the peer closed within `timeoutMs`, else undefined. */
  async closesWithin(timeoutMs: number): Promise<number | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([this.closed.then((c) => c.code), new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), timeoutMs)))]);
    clearTimeout(timer);
    return code;
  }

  close(code = 1000): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code);
  }
}
