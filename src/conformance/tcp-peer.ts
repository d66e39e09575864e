// The suite's end of a TCP connection (framing of spec §2.1): frames in and
// out through src/protocol, every decoded message into an Inbox. Garbage
// (a frame that is no protocol message), a frame error, a flood or the peer
// closing end the inbox with a reason, so every wait fails at once and clearly.
import { connect, type Socket } from 'node:net';
import { decodePayload, encodeFrame, encodeMessageFrame, encodeUtf8, FrameDecoder, ProtocolError, type TapiMessage } from '../protocol/index.ts';
import { CaseFailure } from './case.ts';
import { Inbox } from './inbox.ts';
import type { Scope } from './scope.ts';

export interface WireTap {
  /** Called for each chunk the suite writes; returns the chunks to write instead (e.g. split, delayed). */
  write?: (chunk: Uint8Array, send: (part: Uint8Array) => void) => void;
}

export class TcpPeer {
  readonly inbox: Inbox;
  /** Unknown commands the peer sent (allowed by §6: a newer peer may know more). */
  readonly unknown: string[] = [];
  readonly closed: Promise<void>;
  private readonly decoder = new FrameDecoder();

  constructor(
    private readonly socket: Socket,
    readonly peerName: string,
    private readonly tap: WireTap = {},
  ) {
    this.inbox = new Inbox(peerName, undefined, () => socket.destroy());
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => {
      this.inbox.end(this.decoder.inFrame ? `the ${peerName} closed the connection inside a frame` : `the ${peerName} closed the connection`);
      resolve();
    }));
  }

  static connect(host: string, port: number, peerName: string, scope: Scope, timeoutMs: number, tap?: WireTap): Promise<TcpPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      scope.add(() => socket.destroy());
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new CaseFailure(`could not connect to the ${peerName} at ${host}:${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new TcpPeer(socket, peerName, tap));
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new CaseFailure(`could not connect to the ${peerName} at ${host}:${port}: ${err.code ?? err.message}`));
      });
    });
  }

  get open(): boolean {
    return !this.socket.destroyed && this.inbox.endReason === undefined;
  }

  private onData(chunk: Buffer): void {
    let payloads: Uint8Array[];
    try {
      payloads = this.decoder.push(chunk);
    } catch (err) {
      this.garbage(`the ${this.peerName} sent a bad frame (${describe(err)})`);
      return;
    }
    for (const payload of payloads) {
      let message: TapiMessage;
      try {
        message = decodePayload(payload);
      } catch (err) {
        if (err instanceof ProtocolError && err.code === 'unknown-command') {
          this.unknown.push(err.message);
          continue;
        }
        this.garbage(`the ${this.peerName} sent a frame that is not a protocol message (${describe(err)})`);
        return;
      }
      this.inbox.push(message);
    }
  }

  private garbage(reason: string): void {
    this.inbox.end(reason);
    this.socket.destroy();
  }

  private write(bytes: Uint8Array): void {
    if (this.socket.destroyed) return;
    if (this.tap.write) this.tap.write(bytes, (part) => { if (!this.socket.destroyed) this.socket.write(part); });
    else this.socket.write(bytes);
  }

  send(message: TapiMessage): void {
    this.write(encodeMessageFrame(message));
  }

  /** One frame carrying any text (malformed documents for the error cases). */
  sendXml(xml: string): void {
    this.write(encodeFrame(encodeUtf8(xml)));
  }

  sendRaw(bytes: Uint8Array): void {
    this.write(bytes);
  }

  /** Waits until the peer closes; false when it was still open after `timeoutMs`. */
  async closesWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const open = await Promise.race([this.closed.then(() => false), new Promise<boolean>((r) => (timer = setTimeout(() => r(true), timeoutMs)))]);
    clearTimeout(timer);
    return !open;
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

export function describe(err: unknown): string {
  if (err instanceof ProtocolError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
