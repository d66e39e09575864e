// Field types of the message catalogue: how one XML element becomes one typed
// value and back. Strings stay exactly as sent; integers, booleans, enums,
// GUIDs and timestamps are read with surrounding whitespace ignored (the XML
// Schema `collapse` rule), which also absorbs the line breaks printed inside
// the manual's traces.
import { isXmlChar } from './xml-chars.ts';

export type FieldType =
  | { kind: 'text'; min: number; max: number }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'bool' }
  | { kind: 'guid' }
  | { kind: 'timestamp' }
  | { kind: 'enum'; values: readonly string[]; fallback?: string; caseInsensitive?: boolean }
  /** `lenient`: an empty list is allowed and unknown words are dropped (a set a newer peer may extend). */
  | { kind: 'tokens'; values: readonly string[]; lenient?: boolean }
  | { kind: 'object'; fields: readonly FieldSpec[] }
  | { kind: 'list'; item: string; type: FieldType; max: number };

export interface FieldSpec {
  /** Element name and decoded property name (they are the same). */
  key: string;
  type: FieldType;
  optional?: boolean;
}

export const text = (max: number, min = 0): FieldType => ({ kind: 'text', min, max });
export const int = (min: number, max: number = Number.MAX_SAFE_INTEGER): FieldType => ({ kind: 'int', min, max });
export const bool: FieldType = { kind: 'bool' };
export const guid: FieldType = { kind: 'guid' };
export const timestamp: FieldType = { kind: 'timestamp' };
export const oneOf = (values: readonly string[], extra: { fallback?: string; caseInsensitive?: boolean } = {}): FieldType => ({
  kind: 'enum',
  values,
  ...extra,
});
export const tokens = (values: readonly string[], extra: { lenient?: boolean } = {}): FieldType => ({ kind: 'tokens', values, ...extra });
export const object = (...fields: FieldSpec[]): FieldType => ({ kind: 'object', fields });
export const list = (item: string, type: FieldType, max: number): FieldType => ({ kind: 'list', item, type, max });
export const req = (key: string, type: FieldType): FieldSpec => ({ key, type });
export const opt = (key: string, type: FieldType): FieldSpec => ({ key, type, optional: true });

/** A scalar that could not be read or written; the codec adds the field path and the error code. */
export class FieldProblem {
  constructor(readonly reason: string) {}
}

const GUID = /^\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\}?$/;
// Module constants: a regex literal inside a function makes a new RegExp object each time it runs.
const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;
const TOKEN = /^[A-Za-z][A-Za-z0-9]{0,63}$/;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Lower-case bare form of a GUID given braced or bare in any case; undefined if it is not a GUID. */
export function normalizeGuid(value: string): string | undefined {
  // The form this writes, already: every notification carries two or three (issue 18).
  if (isBareLowerGuid(value)) return value;
  const m = GUID.exec(value.trim());
  if (m === null || m[1] === undefined) return undefined;
  // Braces must be balanced: `{x` and `x}` are not GUIDs.
  const t = value.trim();
  if (t.startsWith('{') !== t.endsWith('}')) return undefined;
  return m[1].toLowerCase();
}

/** `value` is a GUID without braces or white space, in lower case: what `normalizeGuid` returns. */
function isBareLowerGuid(value: string): boolean {
  if (value.length !== 36) return false;
  for (let i = 0; i < 36; i += 1) {
    const c = value.charCodeAt(i);
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 0x2d) return false;
    } else if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** ISO-8601 UTC with milliseconds, e.g. 2024-05-01T12:00:00.000Z, with calendar ranges checked. */
export function isTimestamp(value: string): boolean {
  // Read digit by digit: every call event and notification carries one, and a regex
  // with groups allocated a match array and seven strings each time (issue 18).
  if (value.length !== 24 || value.charCodeAt(4) !== 0x2d || value.charCodeAt(7) !== 0x2d || value.charCodeAt(10) !== 0x54) return false;
  if (value.charCodeAt(13) !== 0x3a || value.charCodeAt(16) !== 0x3a || value.charCodeAt(19) !== 0x2e || value.charCodeAt(23) !== 0x5a) return false;
  const y = digits(value, 0, 4);
  const mo = digits(value, 5, 2);
  const d = digits(value, 8, 2);
  const h = digits(value, 11, 2);
  const mi = digits(value, 14, 2);
  const s = digits(value, 17, 2);
  if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0 || digits(value, 20, 3) < 0) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const maxDay = mo === 2 && !leap ? 28 : (DAYS_IN_MONTH[mo - 1] ?? 0);
  return mo >= 1 && mo <= 12 && d >= 1 && d <= maxDay && h <= 23 && mi <= 59 && s <= 59;
}

/** The ASCII digits at `from` as a number, or -1 when one of them is not a digit 0-9. */
function digits(value: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i += 1) {
    const c = value.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return -1;
    n = n * 10 + c;
  }
  return n;
}

/** Reason a text value cannot travel as a single-line XML string, or undefined if it can. */
export function textProblem(value: string): string | undefined {
  for (let i = 0; i < value.length; i += 1) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return `contains the control character U+${c.toString(16).padStart(4, '0').toUpperCase()}`;
    if (c >= 0xd800 && c <= 0xdbff) {
      const low = value.charCodeAt(i + 1);
      if (!(low >= 0xdc00 && low <= 0xdfff)) return 'contains an unpaired surrogate';
      i += 1;
    } else if ((c >= 0xdc00 && c <= 0xdfff) || !isXmlChar(c)) {
      return `contains U+${c.toString(16).toUpperCase()}, which XML cannot carry`;
    }
  }
  return undefined;
}

/** Reads a scalar from element text. */
export function readScalar(type: FieldType, raw: string): unknown {
  switch (type.kind) {
    case 'text': {
      const problem = textProblem(raw);
      if (problem) throw new FieldProblem(problem);
      if (raw.length < type.min) throw new FieldProblem(type.min === 1 ? 'is empty' : `is shorter than ${type.min} characters`);
      if (raw.length > type.max) throw new FieldProblem(`is longer than ${type.max} characters`);
      return raw;
    }
    case 'int': {
      const t = raw.trim();
      if (!DECIMAL.test(t)) throw new FieldProblem(`"${clip(t)}" is not a decimal integer`);
      const n = Number(t);
      if (n < type.min || n > type.max) throw new FieldProblem(`${t} is outside ${type.min}..${type.max}`);
      return n;
    }
    case 'bool': {
      const t = raw.trim();
      if (t === 'true' || t === '1') return true;
      if (t === 'false' || t === '0') return false;
      throw new FieldProblem(`"${clip(t)}" is not true, false, 1 or 0`);
    }
    case 'guid': {
      const g = normalizeGuid(raw);
      if (g === undefined) throw new FieldProblem(`"${clip(raw.trim())}" is not a GUID`);
      return g;
    }
    case 'timestamp': {
      const t = raw.trim();
      if (!isTimestamp(t)) throw new FieldProblem(`"${clip(t)}" is not an ISO-8601 UTC timestamp with milliseconds`);
      return t;
    }
    case 'enum': {
      const t = raw.trim();
      const found = type.caseInsensitive ? type.values.find((v) => v.toLowerCase() === t.toLowerCase()) : type.values.find((v) => v === t);
      if (found !== undefined) return found;
      if (type.fallback !== undefined && TOKEN.test(t)) return type.fallback;
      throw new FieldProblem(`"${clip(t)}" is not one of ${type.values.join(', ')}`);
    }
    case 'tokens': {
      let parts = raw.trim().split(/\s+/).filter((p) => p !== '');
      if (type.lenient === true) parts = parts.filter((p) => type.values.includes(p) || !TOKEN.test(p));
      else if (parts.length === 0) throw new FieldProblem('is empty');
      for (const p of parts) if (!type.values.includes(p)) throw new FieldProblem(`"${clip(p)}" is not one of ${type.values.join(', ')}`);
      if (new Set(parts).size !== parts.length) throw new FieldProblem('repeats a value');
      return parts;
    }
    default:
      throw new FieldProblem('is not a scalar');
  }
}

/** Writes a scalar as element text; validates it as strictly as reading would. */
export function writeScalar(type: FieldType, value: unknown): string {
  switch (type.kind) {
    case 'text':
      if (typeof value !== 'string') throw new FieldProblem(`must be a string, got ${typeName(value)}`);
      return readScalar(type, value) as string;
    case 'int':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new FieldProblem(`must be an integer, got ${typeName(value)}`);
      readScalar(type, String(value));
      return String(value);
    case 'bool':
      if (typeof value !== 'boolean') throw new FieldProblem(`must be a boolean, got ${typeName(value)}`);
      return value ? 'true' : 'false';
    case 'guid': {
      const g = typeof value === 'string' ? normalizeGuid(value) : undefined;
      if (g === undefined) throw new FieldProblem(`must be a GUID, got ${typeName(value)}`);
      return g;
    }
    case 'timestamp':
      if (typeof value !== 'string' || !isTimestamp(value)) throw new FieldProblem('must be an ISO-8601 UTC timestamp with milliseconds');
      return value;
    case 'enum':
      if (typeof value !== 'string' || !type.values.includes(value)) throw new FieldProblem(`must be one of ${type.values.join(', ')}`);
      return value;
    case 'tokens': {
      if (!Array.isArray(value)) throw new FieldProblem(`must be a list, got ${typeName(value)}`);
      const written = value.map((v) => (typeof v === 'string' ? v : '')).join(' ');
      const read = readScalar(type, written) as string[];
      if (read.length !== value.length) throw new FieldProblem('must hold known values only');
      return written;
    }
    default:
      throw new FieldProblem('is not a scalar');
  }
}

function clip(value: string): string {
  return value.length > 40 ? `${value.slice(0, 40)}…` : value;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'string' ? `"${clip(value)}"` : typeof value;
}
