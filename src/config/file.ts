// Reading a service's configuration file (manager or connector). The format
// follows the extension: `.toml` or `.json`. Keys keep the vendor manual's
// names (CrmTapiPort, LogLevel, …) so operators recognise them; each service
// validates its own keys with zod and reports one sentence per bad key.
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseToml, TomlError } from 'smol-toml';
import type { ZodError } from 'zod';
import { CrmTapiError } from '../protocol/errors.ts';

export type ConfigErrorCode = 'config-not-found' | 'config-unreadable' | 'config-format' | 'config-syntax' | 'config-invalid';

export class ConfigError extends CrmTapiError {
  constructor(
    readonly code: ConfigErrorCode,
    message: string,
    /** One entry per bad key for `config-invalid`. */
    readonly problems: readonly string[] = [],
  ) {
    super(message);
  }
}

export type ConfigFormat = 'toml' | 'json';

export function configFormatOf(path: string): ConfigFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.toml') return 'toml';
  if (ext === '.json') return 'json';
  throw new ConfigError('config-format', `${path}: unknown configuration format "${ext || '(none)'}"; use a .toml or .json file`);
}

/** Parses configuration text; the result is still unvalidated. */
export function parseConfigText(text: string, format: ConfigFormat, origin: string): unknown {
  if (format === 'toml') {
    try {
      return parseToml(text);
    } catch (err) {
      if (err instanceof TomlError) {
        const first = err.message.split('\n')[0] ?? 'invalid TOML';
        throw new ConfigError('config-syntax', `${origin}:${err.line}:${err.column}: ${first}`);
      }
      throw err;
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ConfigError('config-syntax', `${origin}: invalid JSON: ${(err as Error).message}`);
  }
}

/** Reads and parses a configuration file; the result is still unvalidated. */
export async function readConfigFile(path: string): Promise<unknown> {
  const format = configFormatOf(path);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ConfigError('config-not-found', `${path}: configuration file not found`);
    throw new ConfigError('config-unreadable', `${path}: cannot read the configuration file (${code ?? 'error'})`);
  }
  return parseConfigText(text, format, path);
}

/** Turns zod issues into one sentence per bad key, naming the key as written in the file. */
export function describeIssues(error: ZodError, origin: string): ConfigError {
  const problems = error.issues.map((issue) => {
    const key = issue.path.length > 0 ? issue.path.join('.') : '(file)';
    return `${key}: ${issue.message}`;
  });
  return new ConfigError('config-invalid', `${origin}: ${problems.length} invalid setting(s):\n  ${problems.join('\n  ')}`, problems);
}

export type ConfigTable = Record<string, unknown>;

export function isConfigTable(value: unknown): value is ConfigTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Renames keys to their canonical spelling, matching without regard to case
 * (the original services kept their settings in the Windows registry, where
 * case never mattered). Unknown and doubled keys are collected in `problems`
 * rather than ignored: a misspelt key would otherwise fall back to its default
 * without anyone noticing.
 */
export function canonicaliseKeys(
  table: ConfigTable,
  known: readonly string[],
  problems: string[],
  { prefix = '', unknownHint = '' }: { prefix?: string; unknownHint?: string } = {},
): ConfigTable {
  const byLower = new Map(known.map((k) => [k.toLowerCase(), k]));
  const out: ConfigTable = {};
  const seenAs = new Map<string, string>();
  for (const [key, value] of Object.entries(table)) {
    const canonical = byLower.get(key.toLowerCase());
    if (canonical === undefined) {
      problems.push(`${prefix}${key}: unknown setting${unknownHint}`);
      continue;
    }
    const earlier = seenAs.get(canonical);
    if (earlier !== undefined) {
      problems.push(`${prefix}${canonical}: given twice (as ${earlier} and ${key})`);
      continue;
    }
    seenAs.set(canonical, key);
    out[canonical] = value;
  }
  return out;
}
