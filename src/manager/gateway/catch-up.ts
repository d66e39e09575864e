// What one registration of a connector reported before its `synced`
// (spec/protocol.md §7.5): the calls of its snapshot and, per call, the
// highest seq of an accepted event. On `synced` this tells which calls the
// manager still tracks were not active when the connector took its snapshot
// and never had a later event: they ended while nobody watched.
import type { SyncedMessage } from '../../protocol/index.ts';
import type { ConnectorConnection } from './connection.ts';

export type CatchUpVerdict =
  | { kind: 'gone'; callIds: string[] }
  /** Fewer snapshot calls arrived than the connector says it sent: ending calls now could end a live one. */
  | { kind: 'incomplete'; heard: number; announced: number };

export class CatchUp {
  readonly #inSnapshot = new Set<string>();
  readonly #latestSeq = new Map<string, number>();
  #snapshots = 0;

  constructor(readonly connection: ConnectorConnection) {}

  /** A snapshot callState of a call the registry now tracks (or of one it could not track: counted all the same). */
  snapshot(callId: string, tracked: boolean): void {
    this.#snapshots += 1;
    if (tracked) this.#inSnapshot.add(callId);
  }

  /** An accepted, sequenced callState of a call the registry tracks. */
  event(callId: string, seq: number): void {
    this.#latestSeq.set(callId, Math.max(seq, this.#latestSeq.get(callId) ?? 0));
  }

  /** The call ended or is no longer tracked: nothing to remember (keeps both maps as small as the call table). */
  forget(callId: string): void {
    this.#inSnapshot.delete(callId);
    this.#latestSeq.delete(callId);
  }

  /** Of the calls still tracked, those neither in the snapshot nor seen in an event after it. */
  verdict(tracked: Iterable<string>, synced: SyncedMessage): CatchUpVerdict {
    if (synced.activeCalls !== undefined && this.#snapshots < synced.activeCalls) {
      return { kind: 'incomplete', heard: this.#snapshots, announced: synced.activeCalls };
    }
    const callIds: string[] = [];
    for (const callId of tracked) {
      if (this.#inSnapshot.has(callId)) continue;
      if ((this.#latestSeq.get(callId) ?? -1) > synced.snapshotSeq) continue;
      callIds.push(callId);
    }
    return { kind: 'gone', callIds };
  }
}
