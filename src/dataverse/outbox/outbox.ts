// The durable outbox: callers enqueue records (durable before enqueue
// returns); a delivery loop sends them with bounded concurrency, oldest
// first, a write after the write it depends on. Delivery is at least once;
// the record id chosen at enqueue time plus create-only upserts make a
// repeated send harmless, so "at least once" is "exactly one record".
//
// The loop shares the manager's event loop with call routing, and most store
// calls are synchronous SQLite (a store that can commits new writes and
// forgets off the loop: `enqueueLater`, `deliveredLater`). So it works in turns: one `setImmediate` turn
// forgets what was confirmed since the last one (one transaction) and launches
// at most `concurrency` writes, then yields. It is never driven from a
// microtask: a transport that answers at once would otherwise chain a whole
// backlog into one turn of the event loop (measured: 5,000 writes held the
// loop for 79 s, because each pump also skipped every not-yet-forgotten write).
import { systemClock, type Clock } from '../directory/clock.ts';
import { normalizeGuid } from '../web-api/odata.ts';
import { OutboxError } from './errors.ts';
import { DEFAULT_BACKOFF, judge, nextDelay, type BackoffPolicy } from './policy.ts';
import { outboxEvents, silentLogger, type OutboxEvent, type OutboxLogger } from './events.ts';
import { Confirmations } from './confirmations.ts';
import { checkedWrite, type DeadLetter, type OutboxItem, type OutboxStore, type OutboxWrite } from './store.ts';
import type { OutboxTransport } from './transport.ts';

export interface OutboxOptions {
  readonly store: OutboxStore;
  readonly transport: OutboxTransport;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Writes in flight at once (default 8; Dataverse allows 52 concurrent requests per user). */
  readonly concurrency?: number;
  readonly backoff?: Partial<BackoffPolicy>;
  readonly logger?: OutboxLogger;
  /** Published for diagnostics and tests; must not throw. */
  readonly onEvent?: (event: OutboxEvent) => void;
  /**
   * How long a turn waits (ms, event-loop time, not `clock`) when the last one left nothing due behind
   * (default 10; 0: the next turn at once). New writes and confirmations of that time share one turn:
   * one due query and one delivered transaction for all, not one each (issue 18: per write they cost
   * the popup path 10–13 % of the manager's CPU). A turn that left due writes waiting does not wait.
   */
  readonly gatherMs?: number;
}

export class Outbox {
  private readonly store: OutboxStore;
  private readonly transport: OutboxTransport;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly concurrency: number;
  private readonly backoff: BackoffPolicy;
  private readonly logger: OutboxLogger;
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Delivered writes on their way out of the store: not sent again meanwhile. */
  private readonly confirmations: Confirmations;
  private turnScheduled = false;
  /**
   * False once a full look found nothing more due before `quietUntil`. Only
   * a new or released write (enqueue, retry, a dependency leaving) can change
   * that; a failed attempt only moves `quietUntil` earlier. So the turns that
   * follow failed attempts (a 429 storm over a long backlog) skip the store's
   * due/next queries, each a scan of the waiting writes.
   */
  private dirty = true;
  private quietUntil = Number.POSITIVE_INFINITY;
  /**
   * False once the store said no ready write waits for a later attempt time. New writes are due at
   * once and only a failed attempt schedules one for later, so until then a turn that launched every
   * due write skips the store's nextDueAt query (a scan per turn, on the popup path, for nothing).
   */
  private laterPossible = true;
  /** The last pump left due writes waiting (every slot taken): the next turn runs at once. */
  private backlogged = true;
  private readonly gatherMs: number;
  private timer: unknown;
  private running = false;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: OutboxOptions) {
    this.store = options.store;
    this.transport = options.transport;
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.logger = options.logger ?? silentLogger;
    this.gatherMs = Math.max(0, options.gatherMs ?? 10);
    this.confirmations = new Confirmations({
      store: this.store,
      logger: this.logger,
      closed: () => this.closed,
      forgotten: (done) => this.forgotten(done),
      turn: () => this.scheduleTurn(),
      retryLater: () => this.turnAfterPause(),
      wake: () => this.wakeIdle(),
    });
  }

  /**
   * Stores a write; when this returns it survives a crash. The id must be a
   * GUID (it becomes the record's primary key). Returns the stored item.
   */
  enqueue(write: OutboxWrite): OutboxItem {
    if (this.closed) throw new OutboxError('closed', 'the outbox is closed');
    const item = this.store.enqueue(checkedWrite(write), this.clock.now());
    this.dirty = true;
    this.scheduleTurn();
    return item;
  }

  /**
   * Stores writes without waiting for the disk on this thread (the store may commit them off the event
   * loop: SqliteOutboxStore's `writes: 'worker'`). Resolves, per write `stored` or `duplicate` (its id
   * taken), once every one of them survives a power cut; rejects (OutboxError) when the store refused
   * them, and then none is stored. Throws `invalid-record` at once, before anything is stored.
   */
  async enqueueLater(writes: readonly OutboxWrite[]): Promise<('stored' | 'duplicate')[]> {
    if (this.closed) throw new OutboxError('closed', 'the outbox is closed');
    const valid = writes.map(checkedWrite);
    let stored: boolean[];
    if (this.store.enqueueLater !== undefined) stored = await this.store.enqueueLater(valid, this.clock.now());
    else {
      const now = this.clock.now();
      stored = this.atomically(() => valid.map((w) => {
        try {
          this.store.enqueue(w, now);
          return true;
        } catch (err) {
          if (err instanceof OutboxError && err.code === 'duplicate-id') return false;
          throw err;
        }
      }));
      await new Promise<void>((resolve) => this.whenDurable(resolve));
    }
    this.dirty = true;
    this.scheduleTurn();
    return stored.map((ok) => (ok ? 'stored' : 'duplicate'));
  }

  /** Runs `fn` (a few `enqueue`s: one call's records) as one store transaction, when the store can. */
  atomically<T>(fn: () => T): T {
    if (this.closed) throw new OutboxError('closed', 'the outbox is closed');
    return this.store.atomically === undefined ? fn() : this.store.atomically(fn);
  }

  /** Runs `run` once every write enqueued so far survives a power cut too (the store's `whenDurable`). */
  whenDurable(run: () => void): void {
    if (this.store.whenDurable === undefined) return run();
    this.store.whenDurable(run);
  }

  /** Starts delivering (also what was left over from an earlier run). */
  start(): void {
    if (this.closed) throw new OutboxError('closed', 'the outbox is closed');
    this.running = true;
    this.dirty = true;
    this.laterPossible = true; // what an earlier run left may wait for its back-off
    this.scheduleTurn();
  }

  /** Stops sending new writes and waits for those in flight; what waits stays stored. */
  async stop(): Promise<void> {
    this.running = false;
    this.clock.clearTimeout(this.timer);
    await Promise.allSettled([...this.inFlight.values()]);
    this.confirmations.flush();
    await this.confirmations.settled();
  }

  /** Stops and closes the store; resolves once its threads have exited too. */
  async close(): Promise<void> {
    await this.stop();
    this.closed = true;
    this.store.close();
    await this.store.exited();
  }

  /** Resolves once nothing waits and nothing is in flight (dead letters do not count). */
  async drained(): Promise<void> {
    this.confirmations.flush();
    while (this.store.pending() > 0 || this.inFlight.size > 0 || this.confirmations.forgetting.size > 0) {
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
  }

  stats(): { pending: number; inFlight: number; deadLetters: number } {
    this.confirmations.flush();
    // Writes being forgotten are delivered: not counted as waiting while their rows are still there. The writer may
    // delete a row before its reply arrives, so each is looked up — after the count: a row deleted in between is
    // then counted once too many (for one look), never subtracted without having been counted.
    const rows = this.store.pending();
    let forgetting = 0;
    for (const id of this.confirmations.forgetting.keys()) if (this.store.get(id) !== undefined) forgetting += 1;
    return { pending: Math.max(0, rows - forgetting), inFlight: this.inFlight.size, deadLetters: this.store.deadLetters().length };
  }

  /** The writes that failed for good, oldest first (`crm-tapi diagnose` shows them). */
  deadLetters(): DeadLetter[] {
    return this.store.deadLetters();
  }

  /** Sends a dead letter again (after the cause was fixed). Throws OutboxError `not-found`. */
  retryDeadLetter(id: string): OutboxItem {
    const item = this.store.retryDeadLetter(normalizeGuid(id) ?? id, this.clock.now());
    this.logger.info({ id: item.id, kind: item.kind }, 'dead letter queued again');
    this.dirty = true;
    this.scheduleTurn();
    return item;
  }

  /** Forgets a dead letter for good (an operator decided it). Throws OutboxError `not-found`. */
  dropDeadLetter(id: string): DeadLetter {
    const dropped = this.store.dropDeadLetter(normalizeGuid(id) ?? id);
    this.logger.warn({ id: dropped.id, kind: dropped.kind, code: dropped.errorCode }, 'dead letter dropped');
    return dropped;
  }

  /** The write that has waited longest, or undefined when none waits. */
  oldestWaiting(): OutboxItem | undefined {
    this.confirmations.flush();
    // Delivered writes being forgotten are not waiting any more.
    return this.store.oldest(new Set(this.confirmations.forgetting.keys()));
  }

  /** Asks for one delivery turn; requests made before it runs share it. */
  private scheduleTurn(): void {
    if (this.turnScheduled || this.closed || (!this.running && !this.confirmations.waiting)) return;
    this.turnScheduled = true;
    if (this.backlogged || this.gatherMs === 0) setImmediate(() => this.turn());
    // The gathered turn runs after the poll phase that follows the timer (an immediate queued from a timer runs
    // in the same loop iteration's check phase): call events and popups that are ready go before the outbox's SQL.
    // Not unref'd: like setImmediate, a waiting turn keeps the process up.
    else setTimeout(() => setImmediate(() => this.turn()), this.gatherMs);
  }

  /** One bounded step: at most `concurrency` writes forgotten and `concurrency` launched. */
  private turn(): void {
    this.turnScheduled = false;
    try {
      this.confirmations.flush();
      this.pump();
    } catch (error) {
      // The store failed (disk full): what waits stays stored, confirmed writes stay waiting to be forgotten; try again after a pause, not in a hot loop.
      this.logger.error({ reason: (error as Error).message }, 'outbox delivery turn failed');
      this.turnAfterPause();
    }
    this.wakeIdle();
  }

  private pump(): void {
    if (!this.running) return;
    this.clock.clearTimeout(this.timer);
    const now = this.clock.now();
    if (!this.dirty && now < this.quietUntil) {
      this.backlogged = false;
      return this.wakeAt(this.quietUntil, now);
    }
    const free = this.concurrency - this.inFlight.size;
    const exclude = this.confirmations.addIdsTo(new Set(this.inFlight.keys()));
    let launched = 0;
    if (free > 0) {
      for (const item of this.store.due(now, free, exclude)) {
        this.launch(item);
        exclude.add(item.id);
        launched += 1;
      }
    }
    this.backlogged = launched === free && free > 0;
    if (this.inFlight.size >= this.concurrency) return; // a finishing send pumps again
    const next = this.laterPossible ? this.store.nextDueAt(exclude) : undefined;
    if (next === undefined) this.laterPossible = false;
    // Fewer than asked for: nothing else is due now, and nothing before `next` unless something changes.
    if (launched < free) {
      this.dirty = false;
      this.quietUntil = next ?? Number.POSITIVE_INFINITY;
    }
    if (next !== undefined) this.wakeAt(next, now);
  }

  /** The store failed: the next turn after a pause, not in a hot loop. */
  private turnAfterPause(): void {
    this.clock.clearTimeout(this.timer);
    if (!this.closed) this.timer = this.clock.setTimeout(() => this.scheduleTurn(), this.backoff.baseMs);
  }

  private wakeAt(at: number, now: number): void {
    if (Number.isFinite(at)) this.timer = this.clock.setTimeout(() => this.scheduleTurn(), Math.max(0, at - now));
  }

  private launch(item: OutboxItem): void {
    const attempts = item.attempts + 1;
    const done = this.transport.deliver(item).then(
      (outcome) => this.succeeded(item, attempts, outcome === 'exists'),
      (error: unknown) => this.failed(item, attempts, error),
    ).catch((error: unknown) => {
      // The store itself failed (disk full, closed): the write stays where it was.
      this.logger.error({ id: item.id, reason: (error as Error).message }, 'outbox bookkeeping failed');
    }).finally(() => {
      this.inFlight.delete(item.id);
      this.scheduleTurn();
      this.wakeIdle();
    });
    this.inFlight.set(item.id, done);
  }

  private succeeded(item: OutboxItem, attempts: number, existed: boolean): void {
    if (this.closed) return;
    // Answers that arrive before the next turn are forgotten together, in that turn.
    this.confirmations.settle({ type: 'delivered', id: item.id, kind: item.kind, attempts, existed });
  }

  private forgotten(done: readonly OutboxEvent[]): void {
    this.dirty = true; // their dependants may be ready now
    // Published once forgotten: a subscriber never hears "delivered" for a write that would be sent again.
    for (const event of done) this.emit(event);
  }

  private failed(item: OutboxItem, attempts: number, error: unknown): void {
    if (this.closed) return;
    const verdict = judge(error);
    if (verdict.action === 'delivered') return this.succeeded(item, attempts, true);
    if (verdict.action === 'dead') {
      this.store.deadLetter(item.id, verdict.failure, this.clock.now());
      this.dirty = true; // its dependants are released
      this.logger.error({ id: item.id, kind: item.kind, code: verdict.failure.code, status: verdict.failure.status }, `write moved to the dead letters: ${verdict.failure.message}`);
      this.emit({ type: 'dead', id: item.id, kind: item.kind, attempts, code: verdict.failure.code });
      return;
    }
    const delayMs = nextDelay(attempts, verdict.retryAfterMs, this.backoff, this.random());
    this.store.reschedule(item.id, this.clock.now() + delayMs, verdict.failure);
    this.laterPossible = true;
    this.quietUntil = Math.min(this.quietUntil, this.clock.now() + delayMs);
    this.logger.warn({ id: item.id, kind: item.kind, code: verdict.failure.code, attempts, delayMs }, verdict.action === 'wait' ? 'write waits for working credentials' : 'write will be retried');
    this.emit({ type: verdict.action, id: item.id, kind: item.kind, attempts, code: verdict.failure.code, delayMs });
  }

  private emit(event: OutboxEvent): void {
    try {
      if (outboxEvents.hasSubscribers) outboxEvents.publish(event);
      this.options.onEvent?.(event);
    } catch {
      /* a diagnostics subscriber must not break delivery */
    }
  }

  private wakeIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}
