// Open-addressing hash tables over typed arrays for the phone index. A
// million keys in a V8 Map cost a heap object each and, when the Map grows,
// one rehash of everything in a single step (measured: 79 ms at 524,288
// keys), long enough to hold up a call. These tables are cut into 256
// segments by the top byte of the hash, each grown on its own, so a growth
// step moves at most 1/256 of the keys; linear probing, deletion by backward
// shift (no tombstones).
import { hashCode } from './key-codes.ts';

const SEGMENT_SHIFT = 24; // top 8 bits pick the segment
const SEGMENTS = 1 << (32 - SEGMENT_SHIFT);
const FIRST_CAPACITY = 8;

/** Grows a segment when it would be more than this full. */
/**
 * Backward-shift deletion in linear probing: whether the key at slot `j`
 * (home slot `home`) may move into the hole at `hole` — true when the hole
 * lies cyclically between its home and `j`, so the key stays reachable.
 */
function mayFill(home: number, hole: number, j: number): boolean {
  return (j > hole && (home <= hole || home > j)) || (j < hole && home <= hole && home > j);
}

function tooFull(count: number, capacity: number): boolean {
  return count * 10 > capacity * 7;
}

interface CodeSegment {
  keys: Float64Array; // 0: free slot (no key has code 0)
  values: Int32Array;
  count: number;
}

/** Key code (a non-zero float64) → a non-negative int32. */
export class CodeTable {
  private readonly segments: CodeSegment[] = Array.from({ length: SEGMENTS }, () => ({ keys: new Float64Array(FIRST_CAPACITY), values: new Int32Array(FIRST_CAPACITY), count: 0 }));
  size = 0;

  /** The value of the code, or -1. */
  get(code: number): number {
    const h = hashCode(code);
    const s = this.segments[h >>> SEGMENT_SHIFT] as CodeSegment;
    const mask = s.keys.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const k = s.keys[i] as number;
      if (k === code) return s.values[i] as number;
      if (k === 0) return -1;
    }
  }

  set(code: number, value: number): void {
    this.swap(code, value);
  }

  /** Sets the code's value and returns the one it replaced, or -1 (one probe for both). */
  swap(code: number, value: number): number {
    const h = hashCode(code);
    let s = this.segments[h >>> SEGMENT_SHIFT] as CodeSegment;
    if (tooFull(s.count + 1, s.keys.length)) s = this.grow(h >>> SEGMENT_SHIFT);
    const mask = s.keys.length - 1;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const k = s.keys[i] as number;
      if (k === code) {
        const old = s.values[i] as number;
        s.values[i] = value;
        return old;
      }
      if (k === 0) {
        s.keys[i] = code;
        s.values[i] = value;
        s.count += 1;
        this.size += 1;
        return -1;
      }
    }
  }

  delete(code: number): boolean {
    const h = hashCode(code);
    const s = this.segments[h >>> SEGMENT_SHIFT] as CodeSegment;
    const mask = s.keys.length - 1;
    let i = h & mask;
    for (; ; i = (i + 1) & mask) {
      const k = s.keys[i] as number;
      if (k === code) break;
      if (k === 0) return false;
    }
    // Backward shift: pull later keys of the run into the hole when their home slot allows it.
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const k = s.keys[j] as number;
      if (k === 0) break;
      const home = hashCode(k) & mask;
      if (mayFill(home, i, j)) {
        s.keys[i] = k;
        s.values[i] = s.values[j] as number;
        i = j;
      }
    }
    s.keys[i] = 0;
    s.count -= 1;
    this.size -= 1;
    return true;
  }

  private grow(n: number): CodeSegment {
    const old = this.segments[n] as CodeSegment;
    const capacity = old.keys.length * 2;
    const s: CodeSegment = { keys: new Float64Array(capacity), values: new Int32Array(capacity), count: old.count };
    const mask = capacity - 1;
    for (let j = 0; j < old.keys.length; j += 1) {
      const k = old.keys[j] as number;
      if (k === 0) continue;
      let i = hashCode(k) & mask;
      while (s.keys[i] !== 0) i = (i + 1) & mask;
      s.keys[i] = k;
      s.values[i] = old.values[j] as number;
    }
    this.segments[n] = s;
    return s;
  }
}

interface SlotSegment {
  hashes: Uint32Array;
  slots: Int32Array; // value + 1; 0: free slot
  count: number;
}

/**
 * A set of non-negative int32 values found by a 32-bit hash and an equality
 * test given once (the record ids live in the caller's arrays): `same(value,
 * text, tag)` says whether the value is the one sought.
 */
export class SlotTable {
  constructor(private readonly same: (value: number, text: string, tag: number) => boolean) {}

  private readonly segments: SlotSegment[] = Array.from({ length: SEGMENTS }, () => ({ hashes: new Uint32Array(FIRST_CAPACITY), slots: new Int32Array(FIRST_CAPACITY), count: 0 }));
  size = 0;

  /** The value with this hash for which `same(value, text, tag)` holds, or -1. */
  find(hash: number, text: string, tag: number): number {
    const s = this.segments[hash >>> SEGMENT_SHIFT] as SlotSegment;
    const mask = s.slots.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const v = s.slots[i] as number;
      if (v === 0) return -1;
      if (s.hashes[i] === hash && this.same(v - 1, text, tag)) return v - 1;
    }
  }

  /** The value for which `same(value, text, tag)` holds if there is one; else adds `value` and returns -1 (one probe for both). */
  findOrAdd(hash: number, text: string, tag: number, value: number): number {
    let s = this.segments[hash >>> SEGMENT_SHIFT] as SlotSegment;
    if (tooFull(s.count + 1, s.slots.length)) s = this.grow(hash >>> SEGMENT_SHIFT);
    const mask = s.slots.length - 1;
    let i = hash & mask;
    for (let v = s.slots[i] as number; v !== 0; v = s.slots[i] as number) {
      if (s.hashes[i] === hash && this.same(v - 1, text, tag)) return v - 1;
      i = (i + 1) & mask;
    }
    s.slots[i] = value + 1;
    s.hashes[i] = hash;
    s.count += 1;
    this.size += 1;
    return -1;
  }

  /** Removes exactly this value, filed under this hash. */
  remove(hash: number, value: number): boolean {
    const s = this.segments[hash >>> SEGMENT_SHIFT] as SlotSegment;
    const mask = s.slots.length - 1;
    let i = hash & mask;
    for (; ; i = (i + 1) & mask) {
      const v = s.slots[i] as number;
      if (v === 0) return false;
      if (v === value + 1) break;
    }
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const v = s.slots[j] as number;
      if (v === 0) break;
      const home = (s.hashes[j] as number) & mask;
      if (mayFill(home, i, j)) {
        s.slots[i] = v;
        s.hashes[i] = s.hashes[j] as number;
        i = j;
      }
    }
    s.slots[i] = 0;
    s.count -= 1;
    this.size -= 1;
    return true;
  }

  private grow(n: number): SlotSegment {
    const old = this.segments[n] as SlotSegment;
    const capacity = old.slots.length * 2;
    const s: SlotSegment = { hashes: new Uint32Array(capacity), slots: new Int32Array(capacity), count: old.count };
    const mask = capacity - 1;
    for (let j = 0; j < old.slots.length; j += 1) {
      const v = old.slots[j] as number;
      if (v === 0) continue;
      const hash = old.hashes[j] as number;
      let i = hash & mask;
      while (s.slots[i] !== 0) i = (i + 1) & mask;
      s.slots[i] = v;
      s.hashes[i] = hash;
    }
    this.segments[n] = s;
    return s;
  }
}
