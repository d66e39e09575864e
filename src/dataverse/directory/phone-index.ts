// The in-memory phone index: normalised number → the records that carry it.
//
// Memory matters at a million numbers, so records live in parallel arrays
// (id, display name, entity number) and each map value is a small integer
// `record * 256 + field` — a V8 small integer stored inline in the Map, no
// object per entry. A number shared by several records holds an array.
// Entity and field names are interned once in the field table.
import { DirectoryError } from './errors.ts';
import { entityRank, MAX_PHONE_FIELDS, type EntityPhoneFields } from './phone-fields.ts';

export interface DirectoryEntry {
  readonly entity: string;
  readonly id: string;
  readonly name: string;
  readonly field: string;
}

const FIELD_SLOTS = 256;
// Keeps `record * 256 + field` below 2^31, the small-integer range of V8.
const MAX_RECORDS = 2 ** 23;

type Keys = string | string[] | undefined;

export class PhoneIndex {
  readonly fields: readonly EntityPhoneFields[];
  private readonly entityNo = new Map<string, number>();
  private readonly fieldBase: number[] = [];
  private readonly fieldName: string[] = [];
  private readonly fieldEntity: number[] = [];

  private readonly byKey = new Map<string, number | number[]>();
  private readonly idToRecord: Map<string, number>[] = [];
  private recEntity = new Uint8Array(1024);
  private readonly recId: (string | undefined)[] = [];
  private readonly recName: string[] = [];
  private readonly recKeys: Keys[] = [];
  private readonly free: number[] = [];
  private liveRecords = 0;
  private entryCount = 0;

  constructor(fields: readonly EntityPhoneFields[]) {
    this.fields = fields;
    fields.forEach(({ entity, fields: names }, e) => {
      this.entityNo.set(entity, e);
      this.fieldBase.push(this.fieldName.length);
      this.idToRecord.push(new Map());
      for (const name of names) {
        this.fieldName.push(name);
        this.fieldEntity.push(e);
      }
    });
    if (this.fieldName.length > MAX_PHONE_FIELDS) {
      throw new DirectoryError('invalid-phone-fields', `at most ${MAX_PHONE_FIELDS} phone fields are supported`);
    }
  }

  /** Number of live records, distinct keys and (record, field) entries. */
  get size(): { records: number; keys: number; entries: number } {
    return { records: this.liveRecords, keys: this.byKey.size, entries: this.entryCount };
  }

  hasEntity(entity: string): boolean {
    return this.entityNo.has(entity);
  }

  /**
   * Inserts or replaces a record. `keys[i]` is the normalised number of the
   * entity's i-th phone field, or undefined when that field is empty or unusable.
   */
  upsert(entity: string, id: string, name: string, keys: readonly (string | undefined)[]): void {
    const e = this.requireEntity(entity);
    const ids = this.idToRecord[e]!;
    let rec = ids.get(id);
    if (rec !== undefined) {
      this.unlinkKeys(rec);
    } else {
      rec = this.allocate();
      this.recEntity[rec] = e;
      this.recId[rec] = id;
      ids.set(id, rec);
      this.liveRecords += 1;
    }
    this.recName[rec] = name;
    this.recKeys[rec] = this.linkKeys(rec, this.fieldBase[e]!, keys);
  }

  /** Removes a record; returns whether it was there. */
  remove(entity: string, id: string): boolean {
    const e = this.entityNo.get(entity);
    if (e === undefined) return false;
    const ids = this.idToRecord[e]!;
    const rec = ids.get(id);
    if (rec === undefined) return false;
    this.unlinkKeys(rec);
    ids.delete(id);
    this.recId[rec] = undefined;
    this.recName[rec] = '';
    this.recKeys[rec] = undefined;
    this.free.push(rec);
    this.liveRecords -= 1;
    return true;
  }

  /** Ids of the entity's records (a copy: safe to remove while iterating). */
  idsOf(entity: string): string[] {
    const e = this.entityNo.get(entity);
    return e === undefined ? [] : [...this.idToRecord[e]!.keys()];
  }

  has(key: string): boolean {
    return this.byKey.has(key);
  }

  /**
   * Every record carrying the number, one entry per record (its first matching
   * field), ordered contact, account, lead, then other entities by name; within
   * an entity by display name, then id, so the order never depends on history.
   */
  get(key: string): DirectoryEntry[] {
    const value = this.byKey.get(key);
    if (value === undefined) return [];
    if (typeof value === 'number') return [this.entry(Math.floor(value / FIELD_SLOTS), value % FIELD_SLOTS)]; // the common case
    const packed = value;
    const seen = new Map<number, number>();
    for (const p of packed) {
      const rec = Math.floor(p / FIELD_SLOTS);
      const field = p % FIELD_SLOTS;
      const before = seen.get(rec);
      if (before === undefined || field < before) seen.set(rec, field);
    }
    return [...seen].map(([rec, field]) => this.entry(rec, field)).sort(compareEntries);
  }

  private entry(rec: number, field: number): DirectoryEntry {
    return { entity: this.fields[this.recEntity[rec]!]!.entity, id: this.recId[rec]!, name: this.recName[rec]!, field: this.fieldName[field]! };
  }

  /** Every live record with its keys aligned to the entity's fields. */
  *records(): Generator<{ entity: string; id: string; name: string; keys: (string | undefined)[] }> {
    for (let rec = 0; rec < this.recId.length; rec += 1) {
      const id = this.recId[rec];
      if (id === undefined) continue;
      const e = this.recEntity[rec]!;
      const base = this.fieldBase[e]!;
      const keys: (string | undefined)[] = new Array<string | undefined>(this.fields[e]!.fields.length).fill(undefined);
      for (const key of listKeys(this.recKeys[rec])) {
        const value = this.byKey.get(key);
        for (const p of typeof value === 'number' ? [value] : (value ?? [])) {
          if (Math.floor(p / FIELD_SLOTS) === rec) keys[(p % FIELD_SLOTS) - base] = key;
        }
      }
      yield { entity: this.fields[e]!.entity, id, name: this.recName[rec]!, keys };
    }
  }

  private requireEntity(entity: string): number {
    const e = this.entityNo.get(entity);
    if (e === undefined) throw new DirectoryError('invalid-phone-fields', `entity "${entity}" is not configured in the directory`);
    return e;
  }

  private allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    const rec = this.recId.length;
    if (rec >= MAX_RECORDS) throw new DirectoryError('index-full', `the directory holds at most ${MAX_RECORDS} records`);
    if (rec >= this.recEntity.length) {
      const grown = new Uint8Array(this.recEntity.length * 2);
      grown.set(this.recEntity);
      this.recEntity = grown;
    }
    this.recId.push(undefined);
    this.recName.push('');
    this.recKeys.push(undefined);
    return rec;
  }

  private linkKeys(rec: number, base: number, keys: readonly (string | undefined)[]): Keys {
    let stored: Keys;
    keys.forEach((key, i) => {
      if (key === undefined || key === '') return;
      const packed = rec * FIELD_SLOTS + base + i;
      const existing = this.byKey.get(key);
      if (existing === undefined) this.byKey.set(key, packed);
      else if (typeof existing === 'number') this.byKey.set(key, [existing, packed]);
      else existing.push(packed);
      this.entryCount += 1;
      if (stored === undefined) stored = key;
      else if (typeof stored === 'string') {
        if (stored !== key) stored = [stored, key];
      } else if (!stored.includes(key)) stored.push(key);
    });
    return stored;
  }

  private unlinkKeys(rec: number): void {
    for (const key of listKeys(this.recKeys[rec])) {
      const value = this.byKey.get(key);
      if (value === undefined) continue;
      if (typeof value === 'number') {
        if (Math.floor(value / FIELD_SLOTS) === rec) {
          this.byKey.delete(key);
          this.entryCount -= 1;
        }
        continue;
      }
      const kept = value.filter((p) => Math.floor(p / FIELD_SLOTS) !== rec);
      this.entryCount -= value.length - kept.length;
      if (kept.length === 0) this.byKey.delete(key);
      else this.byKey.set(key, kept.length === 1 ? kept[0]! : kept);
    }
  }
}

function listKeys(keys: Keys): readonly string[] {
  if (keys === undefined) return [];
  return typeof keys === 'string' ? [keys] : keys;
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
