// Reading CRM records defensively: every value comes from outside and may be
// missing, null or of another type than the schema says (customisations,
// old data). Readers return undefined for "not set" and throw
// RecordError only where the bridge cannot work without the value.
import { CrmTapiError } from '../../protocol/errors.ts';
import { normalizeGuid } from '../web-api/odata.ts';

export type RecordErrorCode = 'invalid-record' | 'session-not-found' | 'session-nonce-mismatch' | 'session-expired' | 'session-future' | 'session-modified';

export class RecordError extends CrmTapiError {
  constructor(readonly code: RecordErrorCode, message: string) {
    super(message);
  }
}

export type Row = Record<string, unknown>;

/** A trimmed string, or undefined for null, empty or non-strings. */
export function text(row: Row, key: string): string | undefined {
  const v = row[key];
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  return t === '' ? undefined : t;
}

export function int(row: Row, key: string): number | undefined {
  const v = row[key];
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v.trim());
  return undefined;
}

export function bool(row: Row, key: string): boolean | undefined {
  const v = row[key];
  return typeof v === 'boolean' ? v : undefined;
}

export function guid(row: Row, key: string): string | undefined {
  const v = row[key];
  return typeof v === 'string' ? normalizeGuid(v) : undefined;
}

export function date(row: Row, key: string): Date | undefined {
  const v = row[key];
  if (typeof v !== 'string') return undefined;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

export function requireGuid(row: Row, key: string, what: string): string {
  const id = guid(row, key);
  if (id === undefined) throw new RecordError('invalid-record', `${what}: "${key}" is missing or not a GUID`);
  return id;
}

/** Code name of an option value, e.g. 946410001 → 'site'. */
export function option<K extends string>(row: Row, key: string, options: Readonly<Record<K, number>>): K | undefined {
  const v = int(row, key);
  if (v === undefined) return undefined;
  for (const [name, value] of Object.entries(options) as Array<[K, number]>) if (value === v) return name;
  return undefined;
}
