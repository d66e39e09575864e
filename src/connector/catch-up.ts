// What the connector tells the manager after each registration besides the
// line list (spec/protocol.md §7.5): the snapshot of the calls active now,
// and whether to close the catch-up with `synced`. A manager older than
// `synced` answers it with `error` unknown-command; from then on this process
// does not send it again, so a manager with MaxBadFrames = 1 cannot drop
// every link over it.
import type { Logger } from 'pino';
import type { CallStateMessage, ErrorMessage } from '../protocol/index.ts';
import type { CallInfo } from './line-provider.ts';
import type { SyncPoint } from './outbox.ts';
import { toCallState } from './wire.ts';

/**
 * The snapshot reflects every event up to `asOf` (the buffer's last seq): its
 * seq says so, and the manager treats buffered events with seq ≤ that as
 * history, not as the current state.
 */
export function snapshotOf(calls: readonly CallInfo[], reported: (line: string) => boolean, asOf: number, timestamp: string): CallStateMessage[] {
  return calls.filter((call) => reported(call.line)).map((call) => ({ ...toCallState(call, timestamp, true), seq: asOf }));
}

export class SyncedSupport {
  #unsupported = false;
  #sentOnLink = false;

  constructor(private readonly log: Logger) {}

  /** The `synced` owed for this registration, or undefined when the manager does not know it. */
  forRegistration(snapshotSeq: number, activeCalls: number): SyncPoint | undefined {
    this.#sentOnLink = !this.#unsupported;
    return this.#unsupported ? undefined : { snapshotSeq, activeCalls };
  }

  /**
   * An `error` from the manager; true when it was the answer to `synced`.
   * Everything else this connector sends is protocol 1.0 as first published,
   * so an unknown-command reply that names no request of ours is about `synced`.
   */
  isReplyToSynced(message: ErrorMessage<'connector'>): boolean {
    if (message.code !== 'unknown-command' || message.requestId !== undefined || !this.#sentOnLink || this.#unsupported) return false;
    this.#unsupported = true;
    this.log.info(
      `the manager does not know \`synced\` (it is older than this connector): not sent again until the connector restarts; calls that end while no connector runs are then ended only by the manager's silence limit (${message.message})`,
    );
    return true;
  }
}
