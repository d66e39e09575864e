// The phone directory: answers "who is calling?" from the in-memory index and
// keeps the index in step with the CRM. A full build fills a new index off to
// the side and swaps it in with one assignment; an incremental refresh applies
// each page synchronously, so a lookup never sees a half-applied page. Only
// one refresh runs at a time: later calls queue behind it.
import { DirectoryError } from './errors.ts';
import { asDirectoryError, defaultMonotonicNow, fullBuild, keysOf, read } from './full-build.ts';
import type { NumberKeys } from './number-keys.ts';
import { PhoneIndex, type DirectoryEntry } from './phone-index.ts';
import type { EntityPhoneFields } from './phone-fields.ts';
import { readSnapshot, writeSnapshot } from './snapshot.ts';
import type { DirectorySource, EntityCursor, SourceChange, SourceRecord } from './source.ts';

/** pino-compatible subset, so the manager can pass its logger. */
export interface DirectoryLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface DirectoryMatch extends DirectoryEntry {
  /** The key that matched (the caller's E.164 number, or the company's base number). */
  readonly key: string;
  /** True when only a fallback key matched, e.g. the company's base number for a call from one of its extensions. */
  readonly viaFallback: boolean;
}

export type RefreshKind = 'full' | 'incremental';

export interface RefreshReport {
  readonly kind: RefreshKind;
  readonly startedAt: number;
  readonly finishedAt: number;
  /** Records inserted or replaced (for a full build: every record read). */
  readonly upserts: number;
  readonly deletions: number;
  /** Entities read completely during an incremental refresh (no cursor, expired delta token). */
  readonly resynced: readonly string[];
  readonly records: number;
  readonly keys: number;
  /** Full build: pages whose numbers a worker thread normalised (the rest were normalised on the main thread). */
  readonly keyWorkerPages?: number;
}

export interface PhoneDirectoryOptions<Line> {
  readonly fields: readonly EntityPhoneFields[];
  readonly keys: NumberKeys<Line>;
  readonly source: DirectorySource;
  /** Where the snapshot lives; none is kept when absent. */
  readonly snapshotPath?: string;
  readonly logger?: DirectoryLogger;
  /** Milliseconds since the epoch; injected so tests run on a virtual clock. */
  readonly now?: () => number;
  /**
   * Longest stretch, in milliseconds, a full build works before it lets the
   * event loop run (default 5, which leaves room in a turn for the page the
   * source reads and packs next): a million numbers take seconds to
   * normalise, and calls must still be identified meanwhile.
   */
  readonly buildSliceMs?: number;
  /** Monotonic milliseconds for the build slices (default `performance.now`). */
  readonly monotonicNow?: () => number;
  /**
   * Whether a full build normalises its pages in a worker thread while the
   * main thread indexes (default true; used only when `keys` has a recipe).
   */
  readonly keyWorker?: boolean;
  /**
   * A build starts its worker once it has read this many records, or at once
   * when the directory already holds this many (default 20,000): a small
   * directory is normalised sooner than a worker starts.
   */
  readonly keyWorkerFromRecords?: number;
}

const silent: DirectoryLogger = { info: () => undefined, warn: () => undefined };

export class PhoneDirectory<Line> {
  private index: PhoneIndex;
  private cursors = new Map<string, EntityCursor>();
  private tail: Promise<unknown> = Promise.resolve();
  private current: RefreshKind | undefined;
  private last: Partial<Record<RefreshKind, RefreshReport>> = {};
  private readonly logger: DirectoryLogger;
  private readonly now: () => number;

  constructor(private readonly options: PhoneDirectoryOptions<Line>) {
    this.index = new PhoneIndex(options.fields);
    this.logger = options.logger ?? silent;
    this.now = options.now ?? Date.now;
  }

  /**
   * Every record whose phone number equals the caller's number normalised with
   * the line's effective settings; if none, the records carrying the company's
   * base number when the caller dialled from an extension behind it.
   */
  lookup(callerNumber: string, line: Line): DirectoryMatch[] {
    let keys: readonly string[];
    try {
      keys = this.options.keys.incomingKeys(callerNumber, line);
    } catch {
      keys = []; // an unusable caller number (anonymous, garbage) matches nobody
    }
    for (const [i, key] of keys.entries()) {
      const entries = this.index.get(key);
      if (entries.length > 0) return entries.map((e) => ({ ...e, key, viaFallback: i > 0 }));
    }
    return [];
  }

  /** Entries under an already normalised key (diagnostics, tests). */
  lookupKey(key: string): DirectoryEntry[] {
    return this.index.get(key);
  }

  status(): { records: number; keys: number; entries: number; refreshing?: RefreshKind; last: Partial<Record<RefreshKind, RefreshReport>>; cursors: Record<string, EntityCursor['kind']> } {
    const cursors = Object.fromEntries([...this.cursors].map(([entity, cursor]) => [entity, cursor.kind]));
    return { ...this.index.size, ...(this.current ? { refreshing: this.current } : {}), last: { ...this.last }, cursors };
  }

  /**
   * Loads the snapshot so lookups are answered before the first refresh.
   * A missing, corrupt or stale snapshot is ignored (with a warning): returns false.
   */
  async loadSnapshot(): Promise<boolean> {
    const path = this.options.snapshotPath;
    if (path === undefined) return false;
    try {
      const snapshot = await readSnapshot(path);
      if (snapshot === undefined) return false;
      if (snapshot.fingerprint !== this.options.keys.fingerprint || JSON.stringify(snapshot.fields) !== JSON.stringify(this.options.fields)) {
        this.logger.warn({ path, code: 'snapshot-stale' }, 'phone directory snapshot was taken with other phone fields or dialing settings; ignoring it');
        return false;
      }
      this.index = snapshot.index;
      this.cursors = new Map(Object.entries(snapshot.cursors));
      this.logger.info({ path, createdAt: snapshot.createdAt, ...snapshot.index.size }, 'phone directory loaded from snapshot');
      return true;
    } catch (err) {
      const code = err instanceof DirectoryError ? err.code : 'snapshot-corrupt';
      this.logger.warn({ path, code, reason: (err as Error).message }, 'phone directory snapshot ignored; a full build follows');
      return false;
    }
  }

  /** Runs a refresh after any refresh already running (never two at once). */
  refresh(kind: RefreshKind): Promise<RefreshReport> {
    const run = this.tail.then(() => this.runExclusive(kind));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async runExclusive(kind: RefreshKind): Promise<RefreshReport> {
    this.current = kind;
    try {
      const report = kind === 'full' ? await this.fullBuild() : await this.incremental();
      this.last[kind] = report;
      this.logger.info({ ...report, resynced: report.resynced.join(',') }, `phone directory ${kind} refresh done`);
      await this.saveSnapshot();
      return report;
    } finally {
      this.current = undefined;
    }
  }

  private async fullBuild(): Promise<RefreshReport> {
    const startedAt = this.now();
    const built = await fullBuild({
      fields: this.options.fields,
      keys: this.options.keys,
      source: this.options.source,
      now: this.now,
      sliceMs: this.options.buildSliceMs ?? 5,
      monotonicNow: this.options.monotonicNow ?? defaultMonotonicNow,
      useWorker: this.options.keyWorker ?? true,
      workerFromRecords: this.options.keyWorkerFromRecords ?? 20_000,
      liveRecords: this.index.size.records,
      logger: this.logger,
    });
    this.index = built.index;
    this.cursors = built.cursors;
    return { kind: 'full', startedAt, finishedAt: this.now(), upserts: built.upserts, deletions: built.deletions, resynced: [], ...this.counts(), keyWorkerPages: built.workerPages };
  }

  private async incremental(): Promise<RefreshReport> {
    const startedAt = this.now();
    let upserts = 0;
    let deletions = 0;
    const resynced: string[] = [];
    const failures: DirectoryError[] = [];
    for (const spec of this.options.fields) {
      try {
        const cursor = this.cursors.get(spec.entity);
        if (cursor === undefined) {
          ({ upserts, deletions } = add({ upserts, deletions }, await this.resync(spec)));
          resynced.push(spec.entity);
          continue;
        }
        try {
          const next = await this.changes(spec, cursor, (changes) => {
            for (const change of changes) {
              if (change.kind === 'delete') deletions += this.index.remove(spec.entity, change.id) ? 1 : 0;
              else {
                this.index.upsert(spec.entity, change.record.id, change.record.name, this.keysOf(change.record));
                upserts += 1;
              }
            }
          });
          this.cursors.set(spec.entity, next);
        } catch (err) {
          if (!(err instanceof DirectoryError && err.code === 'delta-expired')) throw err;
          this.logger.warn({ entity: spec.entity, code: err.code }, 'delta token expired; reading the entity completely');
          ({ upserts, deletions } = add({ upserts, deletions }, await this.resync(spec)));
          resynced.push(spec.entity);
        }
      } catch (err) {
        // One entity's failure must not hold back the others; its cursor stays
        // where it was, so the next refresh reads the same changes again.
        failures.push(asDirectoryError(err, spec.entity));
      }
    }
    if (failures.length > 0) {
      throw new DirectoryError('source-failed', `incremental refresh failed for ${failures.length} entit${failures.length === 1 ? 'y' : 'ies'}: ${failures.map((f) => f.message).join('; ')}`, { cause: failures[0] });
    }
    return { kind: 'incremental', startedAt, finishedAt: this.now(), upserts, deletions, resynced, ...this.counts() };
  }

  /** Reads one entity completely and replaces its records in one synchronous step. */
  private async resync(spec: EntityPhoneFields): Promise<{ upserts: number; deletions: number }> {
    const fresh: { id: string; name: string; keys: (string | undefined)[] }[] = [];
    const cursor = await this.read(spec, (records) => {
      for (const record of records) fresh.push({ id: record.id, name: record.name, keys: this.keysOf(record) });
    });
    const seen = new Set(fresh.map((r) => r.id));
    let deletions = 0;
    for (const id of this.index.idsOf(spec.entity)) {
      if (!seen.has(id)) deletions += this.index.remove(spec.entity, id) ? 1 : 0;
    }
    for (const r of fresh) this.index.upsert(spec.entity, r.id, r.name, r.keys);
    this.cursors.set(spec.entity, cursor);
    return { upserts: fresh.length, deletions };
  }

  private read(spec: EntityPhoneFields, onPage: (records: readonly SourceRecord[]) => void): Promise<EntityCursor> {
    return read(this.options.source, spec, onPage);
  }

  private async changes(spec: EntityPhoneFields, cursor: EntityCursor, onPage: (changes: readonly SourceChange[]) => void): Promise<EntityCursor> {
    try {
      return await this.options.source.readChanges(spec, cursor, onPage);
    } catch (err) {
      throw asDirectoryError(err, spec.entity);
    }
  }

  private keysOf(record: SourceRecord): (string | undefined)[] {
    return keysOf(record, this.options.keys);
  }

  private counts(): { records: number; keys: number } {
    const { records, keys } = this.index.size;
    return { records, keys };
  }

  private async saveSnapshot(): Promise<void> {
    const path = this.options.snapshotPath;
    if (path === undefined) return;
    try {
      await writeSnapshot(path, this.index, {
        createdAt: new Date(this.now()).toISOString(),
        fingerprint: this.options.keys.fingerprint,
        fields: this.options.fields,
        cursors: Object.fromEntries(this.cursors),
      });
    } catch (err) {
      // The in-memory index is good; only a restart would start from scratch.
      this.logger.warn({ path, code: err instanceof DirectoryError ? err.code : 'snapshot-write-failed' }, (err as Error).message);
    }
  }
}

function add(a: { upserts: number; deletions: number }, b: { upserts: number; deletions: number }): { upserts: number; deletions: number } {
  return { upserts: a.upserts + b.upserts, deletions: a.deletions + b.deletions };
}
