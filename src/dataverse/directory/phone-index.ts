// The in-memory phone index: normalised number → the records that carry it.
//
// A million numbers must not mean a million heap objects: every object is
// work for the garbage collector, whose pauses block the event loop, and a
// V8 Map of a million keys rehashes in one long step when it grows. So keys
// are numbers (key-codes.ts) in segmented open-addressing tables over typed
// arrays (hash-tables.ts), and records and their (record, field, key)
// entries live in fixed-size chunks of typed arrays that never need copying
// to grow. A record keeps its id and display name (strings, once per record)
// and a chain of its entries; the entries of one key form a second, doubly
// linked chain that the key table points at. Entity and field names are
// interned once in the field table. Keys without a numeric form stay strings
// in a small Map beside the table.
import { DirectoryError } from './errors.ts';
import { CodeTable, SlotTable } from './hash-tables.ts';
import { decodeKey, encodeKey, hashText, NO_KEY } from './key-codes.ts';
import { entityRank, MAX_PHONE_FIELDS, type EntityPhoneFields } from './phone-fields.ts';

export interface DirectoryEntry {
  readonly entity: string;
  readonly id: string;
  readonly name: string;
  readonly field: string;
}

/** A page's keys as codes: `codes[record * width + field]`, NO_KEY for none, NaN for a string key found in `texts` at the same position. */
export interface EncodedKeys {
  readonly codes: Float64Array;
  readonly texts?: ReadonlyMap<number, string>;
}

export const MAX_RECORDS = 2 ** 23;

const SHIFT = 14;
const CHUNK = 1 << SHIFT;
const MASK = CHUNK - 1;
const NONE = -1;

// A record's and an entry's numbers sit side by side (one cache line for
// what a lookup reads) rather than in one array per column.
class RecordChunk {
  /** Per record: [entity, first entry of its chain or NONE]. */
  readonly ints = new Int32Array(CHUNK * 2);
  /** Per record: [id (undefined: free slot), display name]. */
  readonly text: (string | undefined)[] = new Array<string | undefined>(CHUNK * 2).fill(undefined);
}

class EntryChunk {
  readonly code = new Float64Array(CHUNK);
  /** Per entry: [record, field, next of key, previous of key, next of record (or of the free list)]. */
  readonly ints = new Int32Array(CHUNK * 5);
}

export class PhoneIndex {
  readonly fields: readonly EntityPhoneFields[];
  private readonly entityNo = new Map<string, number>();
  private readonly fieldBase: number[] = [];
  private readonly fieldName: string[] = [];

  private readonly recordChunks: RecordChunk[] = [];
  private readonly entryChunks: EntryChunk[] = [];
  private recordSlots = 0;
  private entrySlots = 0;
  private readonly freeRecords: number[] = [];
  private freeEntry = NONE;

  private readonly byId = new SlotTable((rec, id, e) => {
    const c = this.recordChunks[rec >>> SHIFT] as RecordChunk;
    return c.ints[(rec & MASK) * 2] === e && c.text[(rec & MASK) * 2] === id;
  });
  private readonly byCode = new CodeTable();
  private readonly byText = new Map<string, number>();
  /** The key of each entry whose key has no numeric form. */
  private readonly textOf = new Map<number, string>();
  private liveRecords = 0;
  private entryCount = 0;

  constructor(fields: readonly EntityPhoneFields[]) {
    this.fields = fields;
    fields.forEach(({ entity, fields: names }, e) => {
      this.entityNo.set(entity, e);
      this.fieldBase.push(this.fieldName.length);
      for (const name of names) this.fieldName.push(name);
    });
    if (this.fieldName.length > MAX_PHONE_FIELDS) {
      throw new DirectoryError('invalid-phone-fields', `at most ${MAX_PHONE_FIELDS} phone fields are supported`);
    }
  }

  /** Number of live records, distinct keys and (record, field) entries. */
  get size(): { records: number; keys: number; entries: number } {
    return { records: this.liveRecords, keys: this.byCode.size + this.byText.size, entries: this.entryCount };
  }

  hasEntity(entity: string): boolean {
    return this.entityNo.has(entity);
  }

  /**
   * Inserts or replaces a record. `keys[i]` is the normalised number of the
   * entity's i-th phone field, or undefined when that field is empty or unusable.
   */
  upsert(entity: string, id: string, name: string, keys: readonly (string | undefined)[]): void {
    const rec = this.begin(this.requireEntity(entity), id, name);
    const base = this.fieldBase[this.entityOf(rec)] as number;
    for (let i = 0; i < keys.length; i += 1) {
      const key = keys[i];
      if (key === undefined || key === '') continue;
      const code = encodeKey(key);
      if (code === undefined) this.linkText(rec, base + i, key);
      else this.link(rec, base + i, code);
    }
  }

  /** `upsert` with keys already encoded: `encoded` row `row` of an entity with `width` fields. */
  upsertEncoded(entity: string, id: string, name: string, encoded: EncodedKeys, row: number, width: number): void {
    const rec = this.begin(this.requireEntity(entity), id, name);
    const base = this.fieldBase[this.entityOf(rec)] as number;
    const offset = row * width;
    for (let i = 0; i < width; i += 1) {
      const code = encoded.codes[offset + i] as number;
      if (code === NO_KEY) continue;
      if (code === code) this.link(rec, base + i, code);
      else {
        const text = encoded.texts?.get(offset + i);
        if (text !== undefined) this.linkText(rec, base + i, text);
      }
    }
  }

  /** Removes a record; returns whether it was there. */
  remove(entity: string, id: string): boolean {
    const e = this.entityNo.get(entity);
    if (e === undefined) return false;
    const hash = hashText(id, e);
    const rec = this.byId.find(hash, id, e);
    if (rec === NONE) return false;
    this.unlinkAll(rec);
    this.byId.remove(hash, rec);
    const c = this.recordChunks[rec >>> SHIFT] as RecordChunk;
    c.text[(rec & MASK) * 2] = undefined;
    c.text[(rec & MASK) * 2 + 1] = '';
    this.freeRecords.push(rec);
    this.liveRecords -= 1;
    return true;
  }

  /** Ids of the entity's records (a copy: safe to remove while iterating). */
  idsOf(entity: string): string[] {
    const e = this.entityNo.get(entity);
    const ids: string[] = [];
    if (e === undefined) return ids;
    for (let rec = 0; rec < this.recordSlots; rec += 1) {
      const c = this.recordChunks[rec >>> SHIFT] as RecordChunk;
      const id = c.text[(rec & MASK) * 2];
      if (id !== undefined && c.ints[(rec & MASK) * 2] === e) ids.push(id);
    }
    return ids;
  }

  has(key: string): boolean {
    return this.headOf(key) !== NONE;
  }

  /**
   * Every record carrying the number, one entry per record (its first matching
   * field), ordered contact, account, lead, then other entities by name; within
   * an entity by display name, then id, so the order never depends on history.
   */
  get(key: string): DirectoryEntry[] {
    let e = this.headOf(key);
    if (e === NONE) return [];
    let c = this.entryChunks[e >>> SHIFT] as EntryChunk;
    if (c.ints[(e & MASK) * 5 + 2] === NONE) return [this.entry(c.ints[(e & MASK) * 5] as number, c.ints[(e & MASK) * 5 + 1] as number)]; // the common case
    const seen = new Map<number, number>();
    for (; e !== NONE; e = c.ints[(e & MASK) * 5 + 2] as number) {
      c = this.entryChunks[e >>> SHIFT] as EntryChunk;
      const rec = c.ints[(e & MASK) * 5] as number;
      const field = c.ints[(e & MASK) * 5 + 1] as number;
      const before = seen.get(rec);
      if (before === undefined || field < before) seen.set(rec, field);
    }
    return [...seen].map(([rec, field]) => this.entry(rec, field)).sort(compareEntries);
  }

  /** Every live record with its keys aligned to the entity's fields. */
  *records(): Generator<{ entity: string; id: string; name: string; keys: (string | undefined)[] }> {
    for (let rec = 0; rec < this.recordSlots; rec += 1) {
      const rc = this.recordChunks[rec >>> SHIFT] as RecordChunk;
      const id = rc.text[(rec & MASK) * 2];
      if (id === undefined) continue;
      const e = rc.ints[(rec & MASK) * 2] as number;
      const base = this.fieldBase[e] as number;
      const keys = new Array<string | undefined>((this.fields[e] as EntityPhoneFields).fields.length).fill(undefined);
      for (let n = rc.ints[(rec & MASK) * 2 + 1] as number; n !== NONE; ) {
        const c = this.entryChunks[n >>> SHIFT] as EntryChunk;
        const code = c.code[n & MASK] as number;
        keys[(c.ints[(n & MASK) * 5 + 1] as number) - base] = code === code ? decodeKey(code) : this.textOf.get(n);
        n = c.ints[(n & MASK) * 5 + 4] as number;
      }
      yield { entity: (this.fields[e] as EntityPhoneFields).entity, id, name: rc.text[(rec & MASK) * 2 + 1] as string, keys };
    }
  }

  private entry(rec: number, field: number): DirectoryEntry {
    const c = this.recordChunks[rec >>> SHIFT] as RecordChunk;
    return { entity: (this.fields[c.ints[(rec & MASK) * 2] as number] as EntityPhoneFields).entity, id: c.text[(rec & MASK) * 2] as string, name: c.text[(rec & MASK) * 2 + 1] as string, field: this.fieldName[field] as string };
  }

  private headOf(key: string): number {
    const code = encodeKey(key);
    return code === undefined ? (this.byText.get(key) ?? NONE) : this.byCode.get(code);
  }

  private entityOf(rec: number): number {
    return (this.recordChunks[rec >>> SHIFT] as RecordChunk).ints[(rec & MASK) * 2] as number;
  }

  private requireEntity(entity: string): number {
    const e = this.entityNo.get(entity);
    if (e === undefined) throw new DirectoryError('invalid-phone-fields', `entity "${entity}" is not configured in the directory`);
    return e;
  }

  /** The record of (entity, id), emptied of its keys and renamed; a new one when there is none. */
  private begin(e: number, id: string, name: string): number {
    const hash = hashText(id, e);
    const fresh = this.nextRecord();
    if (fresh === NONE) {
      const rec = this.byId.find(hash, id, e);
      if (rec === NONE) throw new DirectoryError('index-full', `the directory holds at most ${MAX_RECORDS} records`);
      this.unlinkAll(rec);
      (this.recordChunks[rec >>> SHIFT] as RecordChunk).text[(rec & MASK) * 2 + 1] = name;
      return rec;
    }
    let rec = this.byId.findOrAdd(hash, id, e, fresh);
    if (rec !== NONE) this.unlinkAll(rec);
    else {
      rec = fresh;
      if (this.freeRecords.length > 0 && this.freeRecords[this.freeRecords.length - 1] === fresh) this.freeRecords.pop();
      else this.recordSlots += 1;
      const c = this.recordChunks[rec >>> SHIFT] as RecordChunk;
      c.text[(rec & MASK) * 2] = id;
      c.ints[(rec & MASK) * 2] = e;
      c.ints[(rec & MASK) * 2 + 1] = NONE;
      this.liveRecords += 1;
    }
    (this.recordChunks[rec >>> SHIFT] as RecordChunk).text[(rec & MASK) * 2 + 1] = name;
    return rec;
  }

  /** The slot the next new record takes (a freed one first), its chunk allocated; not taken yet. NONE when the index is full. */
  private nextRecord(): number {
    const reused = this.freeRecords[this.freeRecords.length - 1];
    if (reused !== undefined) return reused;
    const rec = this.recordSlots;
    if (rec >= MAX_RECORDS) return NONE;
    if (rec >>> SHIFT === this.recordChunks.length) this.recordChunks.push(new RecordChunk());
    return rec;
  }

  private allocateEntry(): number {
    const reused = this.freeEntry;
    if (reused !== NONE) {
      this.freeEntry = (this.entryChunks[reused >>> SHIFT] as EntryChunk).ints[(reused & MASK) * 5 + 4] as number;
      return reused;
    }
    const e = this.entrySlots;
    if ((e & MASK) === 0) this.entryChunks.push(new EntryChunk());
    this.entrySlots += 1;
    return e;
  }

  /** A new entry (rec, field, code) at the front of the record's chain; returns it. */
  private newEntry(rec: number, field: number, code: number): number {
    const e = this.allocateEntry();
    const c = this.entryChunks[e >>> SHIFT] as EntryChunk;
    const rc = this.recordChunks[rec >>> SHIFT] as RecordChunk;
    c.code[e & MASK] = code;
    c.ints[(e & MASK) * 5] = rec;
    c.ints[(e & MASK) * 5 + 1] = field;
    c.ints[(e & MASK) * 5 + 4] = rc.ints[(rec & MASK) * 2 + 1] as number;
    rc.ints[(rec & MASK) * 2 + 1] = e;
    c.ints[(e & MASK) * 5 + 3] = NONE;
    this.entryCount += 1;
    return e;
  }

  /** Puts a new entry at the front of a key's chain whose head was `head`. */
  private pushOnKey(e: number, head: number): void {
    (this.entryChunks[e >>> SHIFT] as EntryChunk).ints[(e & MASK) * 5 + 2] = head;
    if (head !== NONE) (this.entryChunks[head >>> SHIFT] as EntryChunk).ints[(head & MASK) * 5 + 3] = e;
  }

  private link(rec: number, field: number, code: number): void {
    const e = this.newEntry(rec, field, code);
    this.pushOnKey(e, this.byCode.swap(code, e));
  }

  private linkText(rec: number, field: number, key: string): void {
    const e = this.newEntry(rec, field, Number.NaN);
    this.textOf.set(e, key);
    this.pushOnKey(e, this.byText.get(key) ?? NONE);
    this.byText.set(key, e);
  }

  /** Takes every entry of the record out of its key's chain and frees it. */
  private unlinkAll(rec: number): void {
    const rc = this.recordChunks[rec >>> SHIFT] as RecordChunk;
    let e = rc.ints[(rec & MASK) * 2 + 1] as number;
    rc.ints[(rec & MASK) * 2 + 1] = NONE;
    while (e !== NONE) {
      const c = this.entryChunks[e >>> SHIFT] as EntryChunk;
      const i = e & MASK;
      const next = c.ints[i * 5 + 2] as number;
      const prev = c.ints[i * 5 + 3] as number;
      const code = c.code[i] as number;
      if (next !== NONE) (this.entryChunks[next >>> SHIFT] as EntryChunk).ints[(next & MASK) * 5 + 3] = prev;
      if (prev !== NONE) (this.entryChunks[prev >>> SHIFT] as EntryChunk).ints[(prev & MASK) * 5 + 2] = next;
      else {
        // The entry headed its key's chain: the key now starts at the next one, or is gone.
        if (code === code) {
          if (next === NONE) this.byCode.delete(code);
          else this.byCode.set(code, next);
        } else {
          const key = this.textOf.get(e) as string;
          if (next === NONE) this.byText.delete(key);
          else this.byText.set(key, next);
        }
      }
      if (code !== code) this.textOf.delete(e);
      const after = c.ints[i * 5 + 4] as number;
      c.ints[i * 5 + 4] = this.freeEntry;
      this.freeEntry = e;
      this.entryCount -= 1;
      e = after;
    }
  }
}

function compareEntries(a: DirectoryEntry, b: DirectoryEntry): number {
  return (
    entityRank(a.entity) - entityRank(b.entity) ||
    cmp(a.entity, b.entity) ||
    cmp(a.name, b.name) ||
    cmp(a.id, b.id)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
