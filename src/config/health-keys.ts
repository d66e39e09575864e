// The health and metrics endpoint keys both services share (docs/operations.md):
// HealthPort (absent = no endpoint), HealthBindAddress (loopback by default,
// like the other ports) and HealthToken, required once the endpoint is
// reachable from other hosts (the manager also accepts its DiagnoseKey).
import { isIP } from 'node:net';
import { z } from 'zod';
import { intIn } from './keys.ts';

export const HEALTH_KEYS = ['HealthPort', 'HealthBindAddress', 'HealthToken'] as const;

export const healthKeysSchema = {
  HealthPort: intIn(0, 65535, 'a TCP port from 1 to 65535 (0: any free port, for tests)').optional(),
  HealthBindAddress: z
    .string({ error: 'must be an IPv4 or IPv6 address' })
    .trim()
    .refine((v) => isIP(v) !== 0, { error: 'must be an IPv4 or IPv6 address, e.g. 127.0.0.1 (this host only)' })
    .default('127.0.0.1'),
  HealthToken: z
    .string({ error: 'must be a token of 16 to 256 characters, or env:NAME' })
    .refine((v) => /^env:[A-Za-z_][A-Za-z0-9_]*$/.test(v) || (v.length >= 16 && v.length <= 256 && v.trim() === v), { error: 'must be a token of 16 to 256 characters without leading or trailing spaces, or env:NAME' })
    .optional(),
};

export function isLoopback(address: string): boolean {
  return address === '::1' || /^127\./.test(address) || address === '::ffff:127.0.0.1';
}

/** Rules across keys on the raw table: an exposed endpoint needs a token (`alsoAccepted`: another key that serves as one). */
export function healthKeyProblems(table: Record<string, unknown>, alsoAccepted?: string): string[] {
  const bind = typeof table.HealthBindAddress === 'string' ? table.HealthBindAddress.trim() : '127.0.0.1';
  if (table.HealthPort === undefined || isLoopback(bind) || table.HealthToken !== undefined) return [];
  if (alsoAccepted !== undefined && table[alsoAccepted] !== undefined) return [];
  return [`HealthToken: is required when HealthBindAddress (${bind}) is not a loopback address${alsoAccepted ? ` (or set ${alsoAccepted})` : ''}: /readyz and /metrics must not be open to the network`];
}
