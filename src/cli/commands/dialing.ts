// `crm-tapi dialing dial|normalize --settings FILE <number>`: the dialing
// rules of src/dialing from the command line, for admins checking their
// settings and for scripts.
import type { Command } from 'commander';
import { ConfigError, describeIssues, readConfigFile } from '../../config/file.ts';
import {
  dialingSettingsLayersSchema,
  dialingSettingsSchema,
  effectiveSettingsOf,
  isLayered,
  normalizeCrmNumber,
  normalizeIncoming,
  toDialString,
  type EffectiveDialingSettings,
} from '../../dialing/index.ts';
import { EXIT, fail } from '../output.ts';

/** Reads a settings file (JSON, or TOML by extension): one record, or {default, site, userLine}. */
export async function loadDialingSettings(path: string): Promise<EffectiveDialingSettings> {
  let raw: unknown;
  try {
    raw = await readConfigFile(path);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.code, err.message, EXIT.usage);
    throw err;
  }
  const parsed = isLayered(raw) ? dialingSettingsLayersSchema.safeParse(raw) : dialingSettingsSchema.transform((flat) => ({ default: flat })).safeParse(raw);
  if (!parsed.success) {
    const err = describeIssues(parsed.error, path);
    fail(err.code, err.message, EXIT.usage);
  }
  const effective = effectiveSettingsOf(parsed.data);
  if (!effective.ok) fail(effective.error.code, `${path}: ${effective.error.message}`, EXIT.usage);
  return effective.settings;
}

export function registerDialing(program: Command): void {
  const dialing = program.command('dialing').description('Convert numbers with the dialing rules (dial strings, caller numbers)');

  dialing
    .command('dial')
    .description('Print the digits the PBX dials for a number clicked in the CRM')
    .requiredOption('--settings <file>', 'dialing settings (JSON or TOML): one record or {default, site, userLine}')
    .option('--trace', 'also print how the number was converted (on stderr)')
    .argument('<number>', 'the number as typed in the CRM, e.g. "+49 (34361) 826-25"')
    .action(async (number: string, opts: { settings: string; trace?: boolean }) => {
      const settings = await loadDialingSettings(opts.settings);
      const r = toDialString(number, settings);
      if (!r.ok) fail(r.error.code, r.error.message);
      if (opts.trace === true) process.stderr.write(r.trace.map((line) => `${line}\n`).join(''));
      process.stdout.write(`${r.dial}\n`);
    });

  dialing
    .command('normalize')
    .description('Print the E.164 form of a caller number, or "internal <extension>"')
    .requiredOption('--settings <file>', 'dialing settings (JSON or TOML): one record or {default, site, userLine}')
    .option('--crm', 'read the number as typed into a CRM record (no incoming direction code)')
    .argument('<number>', 'the caller number as the PBX reports it, e.g. "034361826025"')
    .action(async (number: string, opts: { settings: string; crm?: boolean }) => {
      const settings = await loadDialingSettings(opts.settings);
      const r = opts.crm === true ? normalizeCrmNumber(number, settings) : normalizeIncoming(number, settings);
      if (!r.ok) fail(r.error.code, r.error.message);
      process.stdout.write(r.kind === 'internal' ? `internal ${r.extension}\n` : `${r.e164}\n`);
    });
}
