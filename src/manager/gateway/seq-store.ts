// The last acknowledged seq of every connector host and the journal of the
// accepted events whose meaning for the CRM is not yet durable, kept across
// reconnects and — in SQLite in DataDir — across a manager restart.
//
// Acknowledgement follows durability (spec/protocol.md §7.3): an accepted
// event is journaled in the same transaction that moves the host's seq, before
// its ack leaves. The journal entry stays until the event's consequence is
// durable elsewhere — the call's records in the outbox — and the user side
// calls `forget`. A manager killed in between rebuilds its tracked calls from
// the journal at start (`journal()`), so an acknowledged event is never lost.
import type { CallStateMessage, EventsLostMessage } from '../../protocol/index.ts';
import { CrmTapiError } from '../../protocol/errors.ts';

/** An accepted event still owed to the CRM, keyed by what forgets it (the call key, or `lost:<host>:<seq>`). */
export interface JournaledEvent {
  host: string;
  key: string;
  message: CallStateMessage | EventsLostMessage;
}

export interface SeqStore {
  get(host: string): number | undefined;
  /** Moves the host's acknowledged seq; with `event`, journals it in the same transaction. */
  set(host: string, seq: number, event?: JournaledEvent): void;
  /** The journaled events, in the order they were accepted. */
  journal(): JournaledEvent[];
  /** What these keys meant for the CRM is durable now: their journaled events go. */
  forget(keys: readonly string[]): void;
  /**
   * Runs `run` once every write made so far is durable: the gateway acknowledges from here. A store that
   * writes synchronously runs it at once (SqliteSeqStore commits in a worker, sqlite-seq-store.ts).
   */
  whenDurable(run: () => void): void;
  close(): void;
  /** Resolves once the threads the store started have exited (after `close`); at once when it has none. */
  exited(): Promise<void>;
}

export class SeqStoreError extends CrmTapiError {
  readonly code = 'seq-store-unavailable';
}

export class MemorySeqStore implements SeqStore {
  readonly #seqs = new Map<string, number>();
  #journal: JournaledEvent[] = [];
  get(host: string): number | undefined {
    return this.#seqs.get(host);
  }
  set(host: string, seq: number, event?: JournaledEvent): void {
    this.#seqs.set(host, seq);
    if (event !== undefined) this.#journal.push(event);
  }
  journal(): JournaledEvent[] {
    return [...this.#journal];
  }
  forget(keys: readonly string[]): void {
    const gone = new Set(keys);
    this.#journal = this.#journal.filter((e) => !gone.has(e.key));
  }
  whenDurable(run: () => void): void {
    run();
  }
  close(): void {}
  exited(): Promise<void> {
    return Promise.resolve();
  }
}
