// The shape of dialing settings outside the CRM (a settings file, a test
// fixture): one flat record, or the three records whose fields inherit.
// zod checks types and keys here; effectiveSettings checks the digits.
import { z } from 'zod';
import { DIALING_SETTING_FIELDS } from './settings.ts';

const prefix = z.string({ error: 'must be a string of digits such as "00" (a number would lose leading zeros)' }).nullish();
const code = z.union([z.string(), z.number()], { error: 'must be a number or a string of digits' }).nullish();

function unknownKeys(allowed: readonly string[]) {
  return (issue: { code?: string; keys?: readonly string[] }): string | undefined => {
    if (issue.code !== 'unrecognized_keys' || issue.keys === undefined) return undefined;
    const hints = issue.keys.map((key) => {
      const near = allowed.find((name) => name.toLowerCase() === key.toLowerCase());
      return near === undefined ? `"${key}"` : `"${key}" (did you mean "${near}"?)`;
    });
    return `unknown setting ${hints.join(', ')}; known: ${allowed.join(', ')}`;
  };
}

export const dialingSettingsSchema = z.strictObject(
  {
    internationalPrefix: prefix,
    nationalPrefix: prefix,
    countryCode: code,
    areaCode: code,
    baseNumber: code,
    outsideLinePrefix: prefix,
    incomingDirectionCode: prefix,
    maxInternalLength: code,
    dialLocalWithoutAreaCode: z.union([z.boolean(), z.string()], { error: 'must be true or false' }).nullish(),
  },
  { error: unknownKeys(DIALING_SETTING_FIELDS) },
);

const LAYER_KEYS = ['default', 'site', 'userLine'] as const;

export const dialingSettingsLayersSchema = z.strictObject(
  {
    default: dialingSettingsSchema,
    site: dialingSettingsSchema.nullish(),
    userLine: dialingSettingsSchema.nullish(),
  },
  { error: unknownKeys(LAYER_KEYS) },
);

/** A file with any of the keys default/site/userLine is layered; any other object is one flat record. */
export function isLayered(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).some((k) => (LAYER_KEYS as readonly string[]).includes(k));
}
