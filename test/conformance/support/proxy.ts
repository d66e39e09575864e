// A relay between the suite and a real implementation that breaks it on
// purpose: message rules rewrite, drop or add messages in either direction
// (a "broken implementation" without writing one from scratch), and a wire
// mode re-chunks and delays the bytes (the property test). TCP frames are
// decoded and re-encoded with src/protocol; WebSocket messages likewise.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import { decodeMessage, decodePayload, encodeMessage, encodeMessageFrame, FrameDecoder, type TapiMessage } from '../../../src/protocol/index.ts';

/** Returns the messages to pass on instead of `m` ([] drops it); `raw` passes what could not be decoded. */
export type Rule = (m: TapiMessage, send: { back(m: TapiMessage): void }) => TapiMessage[];

export interface Rules {
  /** Suite → implementation. */
  up?: Rule;
  /** Implementation → suite. */
  down?: Rule;
  /** WebSocket only: sees each text from the target the decoder refuses; true consumes it (`suiteSide` is the socket towards the suite's peer). */
  downRaw?: (text: string, suiteSide: WebSocket) => boolean;
  /** WebSocket only: sees each text from the suite before it is decoded; true consumes it (the implementation never gets it). */
  upRaw?: (text: string) => boolean;
  /** WebSocket only: false refuses a new connection (it is closed at once). */
  admit?: () => boolean;
  /** WebSocket only: the close code passed to the suite when the implementation closes (default: the implementation's). */
  closeCode?: (code: number) => number;
  /** Called for each relayed connection (e.g. to start a keep-alive towards the implementation). */
  onConnection?: (toTarget: (m: TapiMessage) => void, closed: Promise<void>) => void;
}

export interface WireChaos {
  /** Returns chunk sizes (≥ 1) and delays (ms) to use for the next bytes. */
  next(): { size: number; delayMs: number };
}

export interface Relay {
  port: number;
  /** Breaks every relayed connection (the peers reconnect through the rules in force now). */
  reset?(): void;
  close(): Promise<void>;
}

function pass(m: TapiMessage): TapiMessage[] {
  return [m];
}

/** Writes `bytes` in the sizes and after the delays `chaos` picks, keeping order. */
function chaoticWriter(socket: Socket, chaos: WireChaos): (bytes: Uint8Array) => void {
  let queue = Promise.resolve();
  return (bytes) => {
    queue = queue.then(async () => {
      let offset = 0;
      while (offset < bytes.length && !socket.destroyed) {
        const { size, delayMs } = chaos.next();
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs));
        socket.write(bytes.subarray(offset, offset + Math.max(1, size)));
        offset += Math.max(1, size);
      }
    });
  };
}

/**
 * A TCP relay. Rules are read for each message, so a test may swap them
 * between runs (`live: true` decodes every frame even while no rule is set).
 */
export async function tcpRelay(targetPort: number, rules: Rules = {}, chaos?: WireChaos, options: { live?: boolean; port?: number } = {}): Promise<Relay> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((inbound) => {
    const outbound = connect(targetPort, '127.0.0.1');
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.setNoDelay(true);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        inbound.destroy();
        outbound.destroy();
      });
    }
    const closed = new Promise<void>((r) => inbound.once('close', () => r()));
    const writeIn = chaos ? chaoticWriter(inbound, chaos) : (b: Uint8Array) => inbound.write(b);
    const writeOut = chaos ? chaoticWriter(outbound, chaos) : (b: Uint8Array) => outbound.write(b);
    const toTarget = (m: TapiMessage): void => void writeOut(encodeMessageFrame(m));
    const toSuite = (m: TapiMessage): void => void writeIn(encodeMessageFrame(m));
    const pipe = (from: Socket, write: (b: Uint8Array) => void, pick: () => Rule | undefined, back: (m: TapiMessage) => void): void => {
      if (!options.live && pick() === undefined) {
        from.on('data', (chunk: Buffer) => write(chunk));
        return;
      }
      const decoder = new FrameDecoder();
      from.on('data', (chunk: Buffer) => {
        let payloads: Uint8Array[];
        try {
          payloads = decoder.push(chunk);
        } catch {
          inbound.destroy();
          return;
        }
        for (const p of payloads) {
          let m: TapiMessage;
          try {
            m = decodePayload(p);
          } catch {
            write(Buffer.concat([Buffer.from([p.length >> 8, p.length & 0xff]), p]));
            continue;
          }
          for (const out of (pick() ?? pass)(m, { back })) write(encodeMessageFrame(out));
        }
      });
    };
    const decodeAll = rules.up !== undefined || rules.down !== undefined || rules.onConnection !== undefined;
    pipe(inbound, writeOut, () => rules.up ?? (decodeAll ? pass : undefined), toSuite);
    pipe(outbound, writeIn, () => rules.down ?? (decodeAll ? pass : undefined), toTarget);
    rules.onConnection?.(toTarget, closed);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('relay has no port');
  return {
    port: address.port,
    reset() {
      for (const s of sockets) s.destroy();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A WebSocket relay; the suite's close codes and the target's pass through. */
/**
 * A WebSocket relay; rules are read for each message (swappable between runs). `inbound` is the
 * side that connects to the relay, `outbound` the target it forwards to.
 */
export async function wsRelay(targetUrl: string, rules: Rules = {}, delayMs: () => number = () => 0): Promise<Relay> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1 << 20 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const all = new Set<WebSocket>();
  wss.on('connection', (inbound, req) => {
    if (rules.admit && !rules.admit()) {
      inbound.terminate();
      return;
    }
    const origin = req.headers.origin;
    const outbound = new WebSocket(targetUrl, { ...(origin ? { origin } : {}), maxPayload: 1 << 20 });
    all.add(inbound);
    all.add(outbound);
    const pending: { data: Buffer; binary: boolean }[] = [];
    const relay = (to: WebSocket, data: Buffer, binary: boolean, rule: Rule | undefined, back: (m: TapiMessage) => void): void => {
      const send = (payload: Buffer | string, isBinary: boolean): void => {
        const d = delayMs();
        const go = (): void => void (to.readyState === WebSocket.OPEN && to.send(payload, { binary: isBinary }));
        if (d > 0) setTimeout(go, d);
        else go();
      };
      if (!binary && to === outbound && rules.upRaw?.(data.toString('utf8'))) return;
      if (binary || (rule === undefined && !(to === inbound && rules.downRaw))) return send(data, binary);
      let m: TapiMessage;
      try {
        m = decodeMessage(data.toString('utf8'));
      } catch {
        if (to === inbound && rules.downRaw?.(data.toString('utf8'), inbound)) return;
        return send(data, false);
      }
      for (const out of (rule ?? pass)(m, { back })) send(encodeMessage(out), false);
    };
    const toSuite = (m: TapiMessage): void => void (inbound.readyState === WebSocket.OPEN && inbound.send(encodeMessage(m)));
    const toTarget = (m: TapiMessage): void => void (outbound.readyState === WebSocket.OPEN && outbound.send(encodeMessage(m)));
    inbound.on('message', (data: Buffer, binary: boolean) => {
      if (outbound.readyState !== WebSocket.OPEN) pending.push({ data, binary });
      else relay(outbound, data, binary, rules.up, toSuite);
    });
    outbound.on('open', () => {
      for (const p of pending.splice(0)) relay(outbound, p.data, p.binary, rules.up, toSuite);
    });
    outbound.on('message', (data: Buffer, binary: boolean) => relay(inbound, data, binary, rules.down, toTarget));
    const closeCode = (code: number): number => (code === 1005 || code === 1006 || code < 1000 ? 1000 : code);
    inbound.on('close', (code) => outbound.readyState <= WebSocket.OPEN && outbound.close(closeCode(code)));
    outbound.on('close', (code, reason) => inbound.readyState <= WebSocket.OPEN && inbound.close(rules.closeCode?.(code) ?? closeCode(code), reason));
    for (const s of [inbound, outbound]) s.on('error', () => s.terminate());
  });
  const address = wss.address();
  if (address === null || typeof address === 'string') throw new Error('relay has no port');
  return {
    port: address.port,
    reset() {
      for (const s of all) s.terminate();
    },
    async close() {
      for (const s of all) s.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
