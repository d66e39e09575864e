// Which phone fields of which entities feed the directory: the defaults of the
// issue plus the `IncallPhoneFields` setting (a list of `entity.field`).
import { DirectoryError } from './errors.ts';

export interface EntityPhoneFields {
  /** Logical name, e.g. `contact`. */
  readonly entity: string;
  /** Logical names of the phone attributes, in the order matches report them. */
  readonly fields: readonly string[];
}

export const DEFAULT_PHONE_FIELDS: readonly EntityPhoneFields[] = [
  { entity: 'account', fields: ['telephone1', 'telephone2', 'telephone3'] },
  { entity: 'contact', fields: ['telephone1', 'telephone2', 'telephone3', 'mobilephone', 'business2', 'home2', 'assistantphone'] },
  { entity: 'lead', fields: ['telephone1', 'telephone2', 'telephone3', 'mobilephone'] },
];

// The documented limit (docs/directory-and-outbox.md); field numbers of the index stay below it.
export const MAX_PHONE_FIELDS = 255;

const LOGICAL_NAME = /^[a-z][a-z0-9_]{0,127}$/;

/**
 * Parses `IncallPhoneFields`: `entity.field` items separated by commas,
 * semicolons or white space (or given as an array). Reports every bad item.
 */
export function parseIncallPhoneFields(value: unknown): EntityPhoneFields[] {
  if (value === undefined || value === null || value === '') return [];
  let items: unknown[];
  if (typeof value === 'string') items = value.split(/[\s,;]+/).filter((item) => item !== '');
  else if (Array.isArray(value)) items = value;
  else throw new DirectoryError('invalid-phone-fields', `IncallPhoneFields: expected a list of "entity.field" items, got ${typeof value}`);

  const problems: string[] = [];
  const byEntity = new Map<string, string[]>();
  items.forEach((item, i) => {
    const where = `item ${i + 1}`;
    if (typeof item !== 'string') {
      problems.push(`${where} is a ${typeof item}, not "entity.field"`);
      return;
    }
    const text = item.trim();
    const parts = text.split('.');
    if (parts.length !== 2) {
      problems.push(`${where} "${text}" is not of the form "entity.field"`);
      return;
    }
    const [entity = '', field = ''] = parts.map((p) => p.toLowerCase());
    if (!LOGICAL_NAME.test(entity)) problems.push(`${where} "${text}": "${entity}" is not a logical entity name`);
    else if (!LOGICAL_NAME.test(field)) problems.push(`${where} "${text}": "${field}" is not a logical field name`);
    else {
      const fields = byEntity.get(entity) ?? [];
      if (!fields.includes(field)) fields.push(field);
      byEntity.set(entity, fields);
    }
  });
  if (problems.length > 0) {
    throw new DirectoryError('invalid-phone-fields', `IncallPhoneFields: ${problems.join('; ')}`);
  }
  return [...byEntity].map(([entity, fields]) => ({ entity, fields }));
}

/** The defaults merged with extra fields; entities keep the defaults' order, new ones follow. */
export function mergePhoneFields(
  base: readonly EntityPhoneFields[],
  extra: readonly EntityPhoneFields[],
): EntityPhoneFields[] {
  const merged = new Map<string, string[]>();
  for (const { entity, fields } of [...base, ...extra]) {
    const list = merged.get(entity) ?? [];
    for (const field of fields) if (!list.includes(field)) list.push(field);
    merged.set(entity, list);
  }
  const result = [...merged].map(([entity, fields]) => ({ entity, fields }));
  const total = result.reduce((n, e) => n + e.fields.length, 0);
  if (total > MAX_PHONE_FIELDS) {
    throw new DirectoryError('invalid-phone-fields', `${total} phone fields configured; at most ${MAX_PHONE_FIELDS} are supported`);
  }
  return result;
}

/** The configured phone fields: defaults plus `IncallPhoneFields`. */
export function phoneFieldsFromSetting(incallPhoneFields: unknown): EntityPhoneFields[] {
  return mergePhoneFields(DEFAULT_PHONE_FIELDS, parseIncallPhoneFields(incallPhoneFields));
}

/** Match order: contact, account, lead, then every other entity. */
export function entityRank(entity: string): number {
  switch (entity) {
    case 'contact':
      return 0;
    case 'account':
      return 1;
    case 'lead':
      return 2;
    default:
      return 3;
  }
}
