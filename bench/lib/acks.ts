// What a bench connector link gets back from the server it feeds: the acknowledgements. Reading them is the
// connector's work (another process, in production), not the measured server's, so each link only keeps the
// last frame it received and it is decoded when asked, after the run. Used by the manager runs' connectors
// (stack.ts) and by the relays' links (relay.ts, load-child.ts), where only the journal relay acknowledges.
import type { Socket } from 'node:net';
import { decodePayload, FrameDecoder } from '../../src/protocol/index.ts';

const lastFrame = new WeakMap<Socket, Uint8Array>();

/** Keeps the last frame `socket` receives from now on (`decoder`: one that already read part of the stream). */
export function keepLastFrame(socket: Socket, decoder = new FrameDecoder()): void {
  socket.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) lastFrame.set(socket, frame);
  });
}

/** The seq of the last `ack` this link received (0 if none). */
export function ackedSeq(socket: Socket): number {
  const frame = lastFrame.get(socket);
  const m = frame === undefined ? undefined : decodePayload(frame);
  return m?.command === 'ack' ? m.seq : 0;
}

/** How many connectors were not acknowledged up to their last event (`acked[h]`, `lastSeqs[h]`: host h's). */
export function unackedCount(acked: readonly number[], lastSeqs: readonly number[]): number {
  return acked.filter((seq, h) => seq !== lastSeqs[h]).length;
}

/** Whether every link (host h's: `links[h]`) has been acknowledged up to `lastSeqs[h]`: a run's tail waits for it. */
export const allAcknowledged = (links: readonly Socket[], lastSeqs: readonly number[]) => (): boolean => unackedCount(links.map(ackedSeq), lastSeqs) === 0;
