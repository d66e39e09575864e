// A secret in a configuration file may be written as `env:NAME` so that it need not sit in the file: both
// services' loaders, the CRM connection and the health token resolve it here, with one message when unset.
import { ConfigError } from './file.ts';

/** `env:NAME` → the environment variable's value; anything else as it is. */
export function resolveSecret(value: string | undefined, key: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (value === undefined) return undefined;
  const match = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(value);
  if (match?.[1] === undefined) return value;
  const resolved = env[match[1]];
  if (resolved === undefined || resolved === '') {
    throw new ConfigError('config-invalid', `${key}: environment variable ${match[1]} is not set`, [`${key}: environment variable ${match[1]} is not set`]);
  }
  return resolved;
}
