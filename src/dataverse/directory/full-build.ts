// A full build of the phone directory: every record of every entity into a
// new index beside the live one (which keeps answering lookups, whole, until
// the caller swaps the new one in). With a key worker, page k is normalised
// in the worker thread while the main thread indexes page k-1; the main
// thread never works more than `sliceMs` without letting the event loop run.
import { performance } from 'node:perf_hooks';
import { setImmediate } from 'node:timers';
import { DirectoryError } from './errors.ts';
import type { NumberKeys } from './number-keys.ts';
import { keyOfTyped, packPhones, unpackPhones, type PackedPhones } from './page-keys.ts';
import { PhoneIndex, type EncodedKeys } from './phone-index.ts';
import type { EntityPhoneFields } from './phone-fields.ts';
import type { DirectorySource, EntityCursor, SourceRecord } from './source.ts';
import { KeyWorker } from './worker-keys.ts';

export interface FullBuildOptions {
  readonly fields: readonly EntityPhoneFields[];
  readonly keys: NumberKeys<unknown>;
  readonly source: DirectorySource;
  /** Milliseconds since the epoch (the catch-up's `modifiedon` mark). */
  readonly now: () => number;
  readonly sliceMs: number;
  readonly monotonicNow: () => number;
  /** Normalise in a worker thread when the keys have a recipe. */
  readonly useWorker: boolean;
  /**
   * Records after which the build starts its worker (at once when the live index already holds
   * that many): starting one costs more than normalising a small directory on the main thread.
   */
  readonly workerFromRecords: number;
  /** Records in the live index. */
  readonly liveRecords: number;
  readonly logger: { info(details: object, message: string): void; warn(details: object, message: string): void };
}

export interface FullBuild {
  readonly index: PhoneIndex;
  readonly cursors: Map<string, EntityCursor>;
  readonly upserts: number;
  readonly deletions: number;
  /** Pages whose numbers the key worker normalised (the others were normalised on the main thread). */
  readonly workerPages: number;
}

/** Records indexed between two looks at the slice clock. */
const RECORDS_PER_CLOCK_CHECK = 32;

/** How far before a full read its catch-up looks (`modifiedon`): covers clock skew between us and the CRM. */
const SETTLE_MARGIN_MS = 10 * 60_000;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function fullBuild(o: FullBuildOptions): Promise<FullBuild> {
  const next = new PhoneIndex(o.fields);
  const cursors = new Map<string, EntityCursor>();
  const recipe = o.useWorker ? o.keys.recipe : undefined;
  let worker: KeyWorker | undefined;
  const startWorker = (): void => {
    if (recipe === undefined || worker !== undefined) return;
    const started = o.monotonicNow();
    worker = new KeyWorker(
      recipe,
      (reason) => o.logger.warn({ code: 'key-worker-failed', reason }, 'phone directory: the key worker failed; the build normalises on the main thread'),
      () => o.logger.info({ afterMs: Math.round(o.monotonicNow() - started) }, 'phone directory: key worker ready; it normalises the next pages'),
    );
  };
  if (o.liveRecords >= o.workerFromRecords) startWorker();
  const slicer = new Slicer(o.sliceMs, o.monotonicNow);
  let upserts = 0;
  let deletions = 0;
  let workerPages = 0;
  try {
    for (const spec of o.fields) {
      // Pages are indexed in order on one chain. A page goes to the worker as it arrives (the worker
      // starts meanwhile: until it is ready the main thread normalises); the source may read the
      // next page once the one before this is indexed, so at most two pages are held.
      let digested: Promise<void> = Promise.resolve();
      const take = (records: readonly SourceRecord[]): Promise<void> => {
        upserts += records.length;
        if (upserts >= o.workerFromRecords) startWorker();
        const page = worker?.ready ? toWorker(worker, records, spec.fields.length) : undefined;
        page?.encoded.then(
          () => (workerPages += 1),
          () => undefined, // a failed worker is handled where the page is indexed
        );
        const before = digested;
        digested = before.then(() => (page === undefined ? digest(next, spec, records, o.keys, slicer) : digestSent(next, spec, page, o.keys, slicer)));
        return before;
      };
      const since = new Date(o.now() - SETTLE_MARGIN_MS).toISOString();
      const cursor = await read(o.source, spec, take);
      await digested;
      deletions += await settle(next, o.source, spec, since, take, slicer);
      await digested;
      cursors.set(spec.entity, cursor);
    }
  } finally {
    await (worker as KeyWorker | undefined)?.close();
  }
  return { index: next, cursors, upserts, deletions, workerPages };
}

/** Lets the event loop run once `sliceMs` of work have passed since it last ran. */
class Slicer {
  private start: number;
  private count = 0;
  constructor(
    private readonly sliceMs: number,
    private readonly clock: () => number,
  ) {
    this.start = clock();
  }

  /** Call after each small piece of work; awaiting is needed only when it returns a promise. */
  tick(): Promise<void> | undefined {
    this.count += 1;
    if (this.count % RECORDS_PER_CLOCK_CHECK !== 0 || this.clock() - this.start < this.sliceMs) return undefined;
    return yieldToEventLoop().then(() => {
      this.start = this.clock();
    });
  }

  /**
   * Lets the event loop run now: at the end of a page, so that what follows in the same turn (the
   * source reading on, the next page packed for the worker) does not add to this slice.
   */
  async yieldNow(): Promise<void> {
    await yieldToEventLoop();
    this.start = this.clock();
  }
}

/**
 * A page sent to the worker, as it is kept meanwhile: ids, names and the packed numbers (for the
 * main thread, should the worker fail), not thousands of record objects that would outlive the
 * young generation and be copied by every scavenge until the page is indexed.
 */
interface SentPage {
  readonly ids: string[];
  readonly names: string[];
  readonly phones: PackedPhones;
  readonly encoded: Promise<EncodedKeys>;
}

function toWorker(worker: KeyWorker, records: readonly SourceRecord[], width: number): SentPage {
  const packed = packPhones(records, width);
  const phones = { text: packed.text, lengths: packed.lengths.slice() }; // the original moves to the worker
  return { ids: records.map((r) => r.id), names: records.map((r) => r.name), phones, encoded: worker.encode(packed) };
}

/** Indexes a page the worker normalised, in slices; normalises it here if the worker failed. */
async function digestSent(next: PhoneIndex, spec: EntityPhoneFields, page: SentPage, keys: NumberKeys<unknown>, slicer: Slicer): Promise<void> {
  const width = spec.fields.length;
  const codes = await page.encoded.catch(() => undefined);
  const phones = codes === undefined ? unpackPhones(page.phones) : undefined;
  for (let i = 0; i < page.ids.length; i += 1) {
    const id = page.ids[i] as string;
    const name = page.names[i] as string;
    if (codes !== undefined) next.upsertEncoded(spec.entity, id, name, codes, i, width);
    else next.upsert(spec.entity, id, name, (phones as (string | null)[]).slice(i * width, (i + 1) * width).map((typed) => keyOfTyped(typed, keys.crmKey)));
    const pause = slicer.tick();
    if (pause !== undefined) await pause;
  }
  await slicer.yieldNow();
}

/** Indexes a page, normalising on the main thread, in slices. */
async function digest(next: PhoneIndex, spec: EntityPhoneFields, records: readonly SourceRecord[], keys: NumberKeys<unknown>, slicer: Slicer): Promise<void> {
  for (let i = 0; i < records.length; i += 1) {
    const record = records[i] as SourceRecord;
    next.upsert(spec.entity, record.id, record.name, keysOf(record, keys));
    const pause = slicer.tick();
    if (pause !== undefined) await pause;
  }
  await slicer.yieldNow();
}

export function keysOf(record: SourceRecord, keys: NumberKeys<unknown>): (string | undefined)[] {
  return record.phones.map((typed) => keyOfTyped(typed, keys.crmKey));
}

/**
 * Catches the index being built up with what changed while it paged: the
 * records modified since shortly before the read are taken again, and ids
 * the entity no longer has are removed. Returns the removals.
 */
async function settle(next: PhoneIndex, source: DirectorySource, spec: EntityPhoneFields, since: string, take: (records: readonly SourceRecord[]) => Promise<void>, slicer: Slicer): Promise<number> {
  if (source.readSettled === undefined) return 0;
  const present = new Set<string>();
  try {
    await source.readSettled(spec, since, take, (ids) => {
      for (const id of ids) present.add(id);
    });
  } catch (err) {
    throw asDirectoryError(err, spec.entity);
  }
  let removed = 0;
  for (const id of next.idsOf(spec.entity)) {
    if (!present.has(id) && next.remove(spec.entity, id)) removed += 1;
    const pause = slicer.tick();
    if (pause !== undefined) await pause;
  }
  return removed;
}

export async function read(source: DirectorySource, spec: EntityPhoneFields, onPage: (records: readonly SourceRecord[]) => void | Promise<void>): Promise<EntityCursor> {
  try {
    return await source.readAll(spec, onPage);
  } catch (err) {
    throw asDirectoryError(err, spec.entity);
  }
}

export function asDirectoryError(err: unknown, entity: string): DirectoryError {
  if (err instanceof DirectoryError) return err;
  const code = typeof (err as { code?: unknown })?.code === 'string' ? `${(err as { code: string }).code}: ` : '';
  return new DirectoryError('source-failed', `reading ${entity} failed: ${code}${(err as Error)?.message ?? String(err)}`, { cause: err });
}

export const defaultMonotonicNow = (): number => performance.now();
