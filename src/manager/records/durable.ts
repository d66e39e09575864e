// The last step of "acknowledgement follows durability" (gateway/seq-store.ts):
// a finished call's records go into the outbox, and only then are the call's
// journaled events forgotten (once the outbox confirms the records safe from
// a power cut too: with its group commit, one WAL flush later). When the
// records cannot be queued yet (the agent's user record unreadable while the
// CRM fails, the outbox store refusing), the attempt is repeated with
// back-off while the manager runs, and the journal keeps the call for the
// next start if it stops first.
import type { Logger } from 'pino';
import type { TrackedCall } from '../routing/calls.ts';
import type { CallRecorder } from './recorder.ts';

export interface DurableRecordingOptions {
  recorder: Pick<CallRecorder, 'record'>;
  journal: { forget(keys: readonly string[]): void } | undefined;
  /** Runs its argument once the queued records survive a power cut (the outbox's group commit); default: at once. */
  whenRecordsDurable?: (run: () => void) => void;
  logger: Logger;
  firstRetryMs?: number;
  maxRetryMs?: number;
}

export class DurableRecording {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly o: DurableRecordingOptions) {}

  /** The call ended: record it, then forget its journaled events (retrying until the records are queued). */
  finished(call: TrackedCall, keys: readonly string[]): void {
    void this.attempt(call, keys, 0);
  }

  private async attempt(call: TrackedCall, keys: readonly string[], failures: number): Promise<void> {
    const recorded = await this.o.recorder.record(call);
    if (recorded !== undefined || call.answeredElsewhere) {
      const forget = () => this.o.journal?.forget(keys);
      if (this.o.whenRecordsDurable === undefined) forget();
      else this.o.whenRecordsDurable(forget);
      return;
    }
    if (this.stopped) return;
    const delay = Math.min(this.o.maxRetryMs ?? 300_000, (this.o.firstRetryMs ?? 1_000) * 2 ** Math.min(failures, 20));
    this.o.logger.warn({ callKey: call.callKey, attempt: failures + 1, retryInMs: delay }, 'records of a call not queued yet; trying again (kept in the journal meanwhile)');
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(call, keys, failures + 1);
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
