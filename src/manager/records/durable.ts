// The last step of "acknowledgement follows durability" (gateway/seq-store.ts):
// a finished call's records go into the outbox, and only then are the call's
// journaled events forgotten (once the outbox confirms the records safe from
// a power cut too: with its group commit, one WAL flush later). When the
// records cannot be queued yet (the agent's user record unreadable while the
// CRM fails, the outbox store refusing), the attempt is repeated with
// back-off while the manager runs, and the journal keeps the call for the
// next start if it stops first.
//
// Recording is not on the popup path: a call end waits in a queue until the
// I/O that is ready has been served (the next turn's poll phase: popups and
// call events that arrived meanwhile go first), then at most `perTurn` call
// ends are recorded per turn, their records in one transaction (one commit
// per turn, not per call). Durability is unchanged: the journal holds the
// call's events until its records are durable, whether the manager stops
// before or after the queue reached it; `stop` records what is queued at once.
import type { Logger } from 'pino';
import { afterReadyIo } from '../../platform/after-ready-io.ts';
import type { TrackedCall } from '../routing/calls.ts';
import type { CallRecorder, PreparedRecords } from './recorder.ts';

export interface DurableRecordingOptions {
  recorder: Pick<CallRecorder, 'record' | 'prepare' | 'enqueue'> & Partial<Pick<CallRecorder, 'enqueueLater'>>;
  journal: { forget(keys: readonly string[]): void } | undefined;
  /** Runs its argument once the queued records survive a power cut (the outbox's group commit); default: at once. */
  whenRecordsDurable?: (run: () => void) => void;
  logger: Logger;
  firstRetryMs?: number;
  maxRetryMs?: number;
  /** Call ends recorded in one turn at most (default 4: about 1 ms of work; the loop turns often while some wait). */
  perTurn?: number;
}

interface Finished {
  readonly call: TrackedCall;
  readonly keys: readonly string[];
}

export class DurableRecording {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private readonly queue: Finished[] = [];
  private head = 0;
  private scheduled = false;
  /** Turns that started recordings (tests, diagnostics). */
  turns = 0;

  constructor(private readonly o: DurableRecordingOptions) {}

  /** The call ended: record it after the ready I/O, then forget its journaled events (retrying until the records are queued). */
  finished(call: TrackedCall, keys: readonly string[]): void {
    if (this.stopped) return void this.attempt(call, keys, 0);
    this.queue.push({ call, keys });
    if (this.scheduled) return;
    this.scheduled = true;
    // A call end that came in with a burst of frames is recorded after the popups the burst's other frames make, not before.
    afterReadyIo(() => this.drain());
  }

  /** Call ends waiting for their turn. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  private drain(): void {
    this.turns += 1;
    const end = Math.min(this.queue.length, this.head + (this.o.perTurn ?? 4));
    void this.recordTogether(this.queue.slice(this.head, end));
    this.head = end;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
      this.scheduled = false;
    } else {
      if (this.head >= 1_024) {
        // A queue that never empties under steady load still frees its front.
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      setImmediate(() => this.drain()); // from an immediate: again after the next poll phase
    }
  }

  /** Records a turn's call ends in one transaction; a call whose records cannot be built, or all when the store fails, go the retry path. */
  private async recordTogether(batch: readonly Finished[]): Promise<void> {
    const prepared = await Promise.all(batch.map(async (f): Promise<PreparedRecords | undefined> => {
      if (f.call.answeredElsewhere) return undefined;
      try {
        return await this.o.recorder.prepare(f.call);
      } catch (err) {
        this.o.logger.error({ err, callKey: f.call.callKey, line: f.call.line }, 'records of a call could not be built');
        return undefined;
      }
    }));
    const ready = batch.filter((f, i) => prepared[i] !== undefined || f.call.answeredElsewhere);
    const failed = batch.filter((f, i) => prepared[i] === undefined && !f.call.answeredElsewhere);
    const records = prepared.filter((p): p is PreparedRecords => p !== undefined);
    const later = this.o.recorder.enqueueLater;
    try {
      // Off the event loop when the outbox can (its writer thread); settled once the records survive a power cut.
      if (records.length > 0 && later !== undefined) await later(records);
      else if (records.length > 0) this.o.recorder.enqueue(records);
    } catch (err) {
      this.o.logger.error({ err, calls: batch.length }, 'records of calls could not be queued');
      for (const f of batch) this.retry(f.call, f.keys, 0);
      return;
    }
    for (const f of ready) this.recorded(f.keys, later !== undefined && records.length > 0);
    for (const f of failed) this.retry(f.call, f.keys, 0);
  }

  /** The call's records are queued: its journaled events are forgotten once the records are durable (`durable`: they are). */
  private recorded(keys: readonly string[], durable = false): void {
    const forget = () => this.o.journal?.forget(keys);
    if (durable || this.o.whenRecordsDurable === undefined) forget();
    else this.o.whenRecordsDurable(forget);
  }

  private async attempt(call: TrackedCall, keys: readonly string[], failures: number): Promise<void> {
    const recorded = await this.o.recorder.record(call);
    if (recorded !== undefined || call.answeredElsewhere) return this.recorded(keys);
    this.retry(call, keys, failures);
  }

  /** Tries again after a back-off (the journal keeps the call meanwhile). */
  private retry(call: TrackedCall, keys: readonly string[], failures: number): void {
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

  /** Starts what is queued (its records still go into the outbox, not yet closed), and no retry after that. */
  stop(): void {
    this.stopped = true;
    const queued = this.queue.splice(this.head);
    this.head = 0;
    for (const q of queued) void this.attempt(q.call, q.keys, 0);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
