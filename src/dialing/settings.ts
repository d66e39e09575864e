// Settings inheritance (manual 3.2: default → site → user line, field by
// field, an empty field inherits) and the validation that turns CRM values
// into digits the rules can trust.
import { callingCodePlan } from './country-plan.ts';
import { DialingError } from './errors.ts';
import type { DialingSettings, DialingSettingsLayers, SettingsOutcome } from './types.ts';

export const DIALING_SETTING_FIELDS = [
  'internationalPrefix',
  'nationalPrefix',
  'countryCode',
  'areaCode',
  'baseNumber',
  'outsideLinePrefix',
  'incomingDirectionCode',
  'maxInternalLength',
  'dialLocalWithoutAreaCode',
] as const satisfies readonly (keyof DialingSettings)[];

export type DialingSettingField = (typeof DIALING_SETTING_FIELDS)[number];

type Layer = 'default' | 'site' | 'userLine';
type Raw = string | number | boolean;

/** Extensions longer than this are not extensions: they would swallow real local numbers. */
export const MAX_INTERNAL_LENGTH_LIMIT = 10;
/** E.164 allows 15 digits in all. */
export const E164_MAX_DIGITS = 15;

/** True if a CRM field holds a value; undefined, null and blank strings inherit. */
export function isSet(value: unknown): value is Raw {
  if (value === undefined || value === null) return false;
  return typeof value !== 'string' || value.trim() !== '';
}

/** The nearest set value of one field and the record it came from. */
export function inheritedValue(
  field: DialingSettingField,
  defaultRecord: DialingSettings,
  site?: DialingSettings | null,
  userLine?: DialingSettings | null,
): { value: Raw; from: Layer } | undefined {
  const line = userLine?.[field];
  if (isSet(line)) return { value: line, from: 'userLine' };
  const own = site?.[field];
  if (isSet(own)) return { value: own, from: 'site' };
  const base = defaultRecord[field];
  if (isSet(base)) return { value: base, from: 'default' };
  return undefined;
}

// Formatting an admin may type into a code field, or that a CRM integer field
// shows (the manual's form displays the area code as "34.361").
const CODE_FORMATTING = /[\s./()-]/g;

class Problems {
  readonly list: string[] = [];
  add(field: string, picked: { value: Raw; from: Layer } | undefined, text: string): void {
    const shown = picked === undefined ? '' : ` ${JSON.stringify(picked.value)} (from ${picked.from})`;
    this.list.push(`${field}${shown} ${text}`);
  }
}

function digitField(
  field: DialingSettingField,
  picked: { value: Raw; from: Layer } | undefined,
  problems: Problems,
  opts: { formatting: boolean; maxDigits: number },
): string {
  if (picked === undefined) return '';
  const { value } = picked;
  if (typeof value === 'boolean') {
    problems.add(field, picked, 'must be digits, not true/false');
    return '';
  }
  if (typeof value === 'number' && !(Number.isSafeInteger(value) && value >= 0)) {
    problems.add(field, picked, 'must be a whole non-negative number');
    return '';
  }
  let text = String(value).trim();
  if (opts.formatting) text = text.replace(CODE_FORMATTING, '');
  if (!/^\d+$/.test(text)) {
    problems.add(field, picked, 'must contain digits only');
    return '';
  }
  if (text.length > opts.maxDigits) {
    problems.add(field, picked, `is longer than ${opts.maxDigits} digits`);
    return '';
  }
  return text;
}

function booleanField(picked: { value: Raw; from: Layer } | undefined, problems: Problems): boolean {
  if (picked === undefined) return true;
  const { value } = picked;
  if (typeof value === 'boolean') return value;
  const text = String(value).trim().toLowerCase();
  if (text === 'true' || text === '1' || text === 'yes') return true;
  if (text === 'false' || text === '0' || text === 'no') return false;
  problems.add('dialLocalWithoutAreaCode', picked, 'must be true or false');
  return true;
}

/**
 * The effective settings of a user line: each field is the line's own value if
 * set, else its site's, else the default record's. Unset prefixes come from the
 * numbering plan of the country code; `dialLocalWithoutAreaCode` defaults to
 * true and `maxInternalLength` to 0 (no internal numbers).
 */
export function effectiveSettings(
  defaultRecord: DialingSettings,
  site?: DialingSettings | null,
  userLine?: DialingSettings | null,
): SettingsOutcome {
  const problems = new Problems();
  const pick = (field: DialingSettingField) => inheritedValue(field, defaultRecord, site, userLine);

  const ccPicked = pick('countryCode');
  let countryCode = '';
  if (ccPicked === undefined) problems.add('countryCode', undefined, 'is not set in any record (e.g. 49 for Germany)');
  else {
    const raw = typeof ccPicked.value === 'string' ? ccPicked.value.trim().replace(/^\+/, '') : ccPicked.value;
    countryCode = digitField('countryCode', { value: raw, from: ccPicked.from }, problems, { formatting: false, maxDigits: 3 });
    if (countryCode !== '' && callingCodePlan(countryCode) === undefined) {
      problems.add('countryCode', ccPicked, "is no country's calling code");
      countryCode = '';
    }
  }
  const plan = countryCode === '' ? undefined : callingCodePlan(countryCode);

  const prefix = (field: DialingSettingField) => digitField(field, pick(field), problems, { formatting: false, maxDigits: 6 });
  const intlPicked = pick('internationalPrefix');
  const natPicked = pick('nationalPrefix');
  const internationalPrefix = intlPicked ? prefix('internationalPrefix') : (plan?.internationalPrefix ?? '');
  const nationalPrefix = natPicked ? prefix('nationalPrefix') : (plan?.nationalPrefix ?? '');
  const outsideLinePrefix = prefix('outsideLinePrefix');
  const incomingDirectionCode = prefix('incomingDirectionCode');

  const areaPicked = pick('areaCode');
  const areaCode = digitField('areaCode', areaPicked, problems, { formatting: true, maxDigits: 8 });
  // An area code typed as dialled nationally ("034361") would make every local
  // number wrong. Only a "0" trunk prefix is caught: where the trunk prefix is
  // another digit, area codes may start with it (Russia: 8, St Petersburg 812).
  if (nationalPrefix === '0' && areaCode.startsWith('0')) {
    problems.add('areaCode', areaPicked, 'starts with the national prefix 0: write the area code without it (034361 → 34361)');
  }
  const baseNumber = digitField('baseNumber', pick('baseNumber'), problems, { formatting: true, maxDigits: 12 });

  const lenPicked = pick('maxInternalLength');
  let maxInternalLength = 0;
  if (lenPicked !== undefined) {
    const text = digitField('maxInternalLength', lenPicked, problems, { formatting: false, maxDigits: 2 });
    if (text !== '') {
      maxInternalLength = Number(text);
      if (maxInternalLength > MAX_INTERNAL_LENGTH_LIMIT) {
        problems.add('maxInternalLength', lenPicked, `is more than ${MAX_INTERNAL_LENGTH_LIMIT}`);
        maxInternalLength = 0;
      }
    }
  }
  const dialLocalWithoutAreaCode = booleanField(pick('dialLocalWithoutAreaCode'), problems);

  if (countryCode !== '' && internationalPrefix === '') {
    problems.add('internationalPrefix', intlPicked, `is not set and the numbering plan of country code ${countryCode} names none`);
  }
  if (internationalPrefix !== '' && internationalPrefix === nationalPrefix) {
    problems.add('internationalPrefix', intlPicked, `equals nationalPrefix: an international number could not be told from a national one (Germany: 00 and 0)`);
  }
  if (countryCode.length + areaCode.length + baseNumber.length > E164_MAX_DIGITS - 1) {
    problems.add('baseNumber', pick('baseNumber'), 'with country and area code leaves no room for an extension in 15 digits');
  }

  if (problems.list.length > 0) {
    return { ok: false, error: new DialingError('invalid-settings', `invalid dialing settings: ${problems.list.join('; ')}`) };
  }
  return {
    ok: true,
    settings: {
      internationalPrefix,
      nationalPrefix,
      countryCode,
      areaCode,
      baseNumber,
      outsideLinePrefix,
      incomingDirectionCode,
      maxInternalLength,
      dialLocalWithoutAreaCode,
    },
  };
}

/** effectiveSettings for the `{default, site, userLine}` shape of a settings file. */
export function effectiveSettingsOf(layers: DialingSettingsLayers): SettingsOutcome {
  return effectiveSettings(layers.default, layers.site, layers.userLine);
}
