// What the delivery loop asks of the outbox on every turn — which waiting writes are due, oldest first, and
// when the next one will be — answered from memory instead of a query. Issue 18: on the manager's loop the
// `due` query cost 200–300 µs per turn (the writer thread's commits reset the loop connection's page cache,
// so each read started cold), and a turn in front of a popup was the commonest cause of a slow popup in the
// flat-out bench. The store keeps this view in step with every change it makes to the `outbox` table (it is
// the only writer of its file: one process owns it) and loads it again from the table when it opens.
//
// Pure: no I/O, time comes in as an argument. The same answers as the store's SQL (sqlite-schema.ts READY):
// due when `at <= now` and its dependency is no longer waiting, ordered by seq.

/** One waiting write: what scheduling needs, and the whole write while the view may keep it. */
interface Entry<T> {
  readonly seq: number;
  readonly id: string;
  at: number;
  readonly dependsOn: string | undefined;
  /** The write as stored (the store reads it from the table when absent). */
  item: T | undefined;
  /** Removed; still in `order` until the next compaction. */
  gone: boolean;
}

/** How many whole writes the view keeps (a long CRM outage must not fill the heap: the rest is read when due). */
export const KEPT_ITEMS = 4_096;

export class DueView<T> {
  readonly #byId = new Map<string, Entry<T>>();
  /** Every entry by seq (new rows append; an unburied dead letter keeps its old seq and goes in its place). */
  #order: Entry<T>[] = [];
  #gone = 0;
  #kept = 0;

  get size(): number {
    return this.#byId.size;
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  /** A row of the table (a new one, or one that came back from the dead letters); replaces one with the same id. */
  add(seq: number, id: string, at: number, dependsOn: string | undefined, item?: T): void {
    if (this.#byId.has(id)) this.remove(id);
    const keep = item !== undefined && this.#kept < KEPT_ITEMS;
    if (keep) this.#kept += 1;
    const entry: Entry<T> = { seq, id, at, dependsOn, item: keep ? item : undefined, gone: false };
    this.#byId.set(id, entry);
    const order = this.#order;
    if (order.length === 0 || order[order.length - 1]!.seq < seq) {
      order.push(entry);
      return;
    }
    // Out of order: the writer thread's rows arrive after a later row the loop's own connection inserted, or an unburied write.
    let lo = 0;
    let hi = order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (order[mid]!.seq < seq) lo = mid + 1;
      else hi = mid;
    }
    order.splice(lo, 0, entry);
  }

  remove(id: string): void {
    const entry = this.#byId.get(id);
    if (entry === undefined) return;
    this.#byId.delete(id);
    this.#drop(entry);
    entry.gone = true;
    this.#gone += 1;
    // Delivered writes leave from the front: drop them in one go once they are half of the array.
    if (this.#gone > 64 && this.#gone * 2 > this.#order.length) {
      this.#order = this.#order.filter((e) => !e.gone);
      this.#gone = 0;
    }
  }

  /** A failed attempt moved its next attempt (and changed its attempts and last error: the kept write is stale). */
  reschedule(id: string, at: number): void {
    const entry = this.#byId.get(id);
    if (entry === undefined) return;
    entry.at = at;
    this.#drop(entry);
  }

  /** The whole write, when the view kept it. */
  item(id: string): T | undefined {
    return this.#byId.get(id)?.item;
  }

  /** The ids of at most `limit` writes due at `now`, oldest first, leaving out `exclude` (in flight, being forgotten). */
  ready(now: number, limit: number, exclude: ReadonlySet<string>): string[] {
    const out: string[] = [];
    if (limit <= 0) return out;
    for (const e of this.#order) {
      if (e.gone || e.at > now || exclude.has(e.id) || this.#blocked(e)) continue;
      out.push(e.id);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** When the earliest write not in `exclude` whose dependency is gone becomes due; undefined when none waits. */
  nextDueAt(exclude: ReadonlySet<string>): number | undefined {
    let next: number | undefined;
    for (const e of this.#order) {
      if (e.gone || exclude.has(e.id) || this.#blocked(e)) continue;
      if (next === undefined || e.at < next) next = e.at;
    }
    return next;
  }

  clear(): void {
    this.#byId.clear();
    this.#order = [];
    this.#gone = 0;
    this.#kept = 0;
  }

  #drop(entry: Entry<T>): void {
    if (entry.item === undefined) return;
    entry.item = undefined;
    this.#kept -= 1;
  }

  /** Its dependency still waits in the outbox (a dead one does not block: the dependant fails on its own merits). */
  #blocked(e: Entry<T>): boolean {
    return e.dependsOn !== undefined && this.#byId.has(e.dependsOn);
  }
}
