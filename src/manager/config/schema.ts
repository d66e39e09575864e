// Validation of the manager's own keys: one sentence per bad key, naming the
// key as the manual spells it and saying what is allowed. The CRM connection
// keys are validated by src/dataverse/connection-config.ts beside these.
import { isIP } from 'node:net';
import { z } from 'zod';
import { flag, intIn, logArt, logLevel, nonEmpty, timeOfDayText as timeOfDay } from '../../config/keys.ts';
import { healthKeyProblems, healthKeysSchema } from '../../config/health-keys.ts';
import { DEFAULTS, KEY_MAX_LENGTH, KEY_MIN_LENGTH, TAPI_PORT_MAX, TAPI_PORT_MIN } from './keys.ts';

/** A secret value, or `env:NAME` to read it from the environment at start. */
const secretText = (what: string) =>
  z
    .string({ error: `must be ${what}` })
    .refine((v) => /^env:[A-Za-z_][A-Za-z0-9_]*$/.test(v) || (v.length >= KEY_MIN_LENGTH && v.length <= KEY_MAX_LENGTH && v.trim() === v), {
      error: `must be ${what}: ${KEY_MIN_LENGTH} to ${KEY_MAX_LENGTH} characters without leading or trailing spaces, or env:NAME`,
    });

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone }).format(0);
    return true;
  } catch {
    return false;
  }
}

/** `scheme://host[:port]` exactly as a browser sends it in the Origin header. */
function isOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

export const managerKeysSchema = z.object({
  CertificateThumbprint: z
    .string({ error: 'must be the certificate thumbprint (40 hexadecimal digits)' })
    .transform((v) => v.replace(/[\s:]/g, ''))
    .refine((v) => /^[0-9a-fA-F]{40}$/.test(v), { error: 'must be the certificate thumbprint (40 hexadecimal digits)' })
    .optional(),
  CrmTapiPort: intIn(TAPI_PORT_MIN, TAPI_PORT_MAX, `an integer from ${TAPI_PORT_MIN} to ${TAPI_PORT_MAX} (the manual's range)`).default(DEFAULTS.CrmTapiPort),
  CrmTapiWebSocketPort: intIn(1, 65535, 'a TCP port from 1 to 65535').default(DEFAULTS.CrmTapiWebSocketPort),
  ListenerTestIntervall: intIn(0, 86_400, 'a number of seconds from 0 (off) to 86400').default(DEFAULTS.ListenerTestIntervall),
  ListenerTestLog: flag.default(DEFAULTS.ListenerTestLog),
  LogArt: logArt.default(DEFAULTS.LogArt),
  LogFile: nonEmpty('the path of the log file').optional(),
  LogLevel: logLevel.default(DEFAULTS.LogLevel),
  RefreshTelephoneNumberIntervall: intIn(60, 7 * 86_400, 'a number of seconds from 60 to 604800').default(DEFAULTS.RefreshTelephoneNumberIntervall),
  RefreshTelephoneNumberTime: timeOfDay.default(DEFAULTS.RefreshTelephoneNumberTime),
  ServiceAccount: nonEmpty('the Windows account the service runs as').optional(),
  ServicePassword: nonEmpty('the password of ServiceAccount').optional(),

  ConnectorKeys: z
    .array(secretText('a connector key'), { error: 'is required: a list of the keys connectors may register with, e.g. ["…"]' })
    .min(1, { error: 'must list at least one connector key' })
    .max(64, { error: 'may list at most 64 keys' }),
  ConnectionKeepAliveIntervall: intIn(1, 3600, 'a number of seconds from 1 to 3600').default(DEFAULTS.ConnectionKeepAliveIntervall),
  BindAddress: z
    .string({ error: 'must be an IPv4 or IPv6 address' })
    .trim()
    .refine((v) => isIP(v) !== 0, { error: 'must be an IPv4 or IPv6 address, e.g. 127.0.0.1 (this host only) or 0.0.0.0 (every interface)' })
    .default(DEFAULTS.BindAddress),
  TlsCertFile: nonEmpty('the path of a PEM certificate (chain)').optional(),
  TlsKeyFile: nonEmpty('the path of the PEM private key of TlsCertFile').optional(),
  TlsPfxFile: nonEmpty('the path of a PFX (PKCS#12) file').optional(),
  TlsPfxPassword: nonEmpty('the password of TlsPfxFile').optional(),
  ConnectorTls: flag.optional(),
  AllowedOrigins: z
    .array(z.string().refine(isOrigin, { error: 'must be an origin scheme://host[:port] without path or trailing slash, e.g. https://crm.example.com' }), {
      error: 'must be a list of origins, e.g. ["https://crm.example.com"]',
    })
    .max(64, { error: 'may list at most 64 origins' })
    .optional(),
  DataDir: nonEmpty('the directory for the outbox database and the phone directory snapshot').default(DEFAULTS.DataDir),
  DiagnoseKey: secretText('the key crm-tapi diagnose proves itself with').optional(),
  TimeZone: z
    .string({ error: 'must be an IANA time zone, e.g. Europe/Berlin' })
    .refine(isTimeZone, { error: 'must be an IANA time zone, e.g. Europe/Berlin' })
    .optional(),
  MaxConnectorConnections: intIn(1, 100_000, 'an integer from 1 to 100000').default(DEFAULTS.MaxConnectorConnections),
  MaxUnregisteredConnections: intIn(1, 10_000, 'an integer from 1 to 10000').default(DEFAULTS.MaxUnregisteredConnections),
  MaxUnregisteredPerPeer: intIn(1, 10_000, 'an integer from 1 to 10000').default(DEFAULTS.MaxUnregisteredPerPeer),
  MaxPendingUpgrades: intIn(1, 100_000, 'an integer from 1 to 100000').default(DEFAULTS.MaxPendingUpgrades),
  MaxPendingUpgradesPerPeer: intIn(1, 100_000, 'an integer from 1 to 100000').default(DEFAULTS.MaxPendingUpgradesPerPeer),
  UpgradeTimeout: intIn(1, 600, 'a number of seconds from 1 to 600').default(DEFAULTS.UpgradeTimeout),
  DialBurst: intIn(1, 1_000, 'an integer from 1 to 1000').default(DEFAULTS.DialBurst),
  DialsPerMinute: intIn(1, 6_000, 'an integer from 1 to 6000').default(DEFAULTS.DialsPerMinute),
  RegistrationTimeout: intIn(1, 600, 'a number of seconds from 1 to 600').default(DEFAULTS.RegistrationTimeout),
  FrameTimeout: intIn(1, 600, 'a number of seconds from 1 to 600').default(DEFAULTS.FrameTimeout),
  MaxBadFrames: intIn(1, 100, 'an integer from 1 to 100').default(DEFAULTS.MaxBadFrames),
  MaxConnectorSendBuffer: intIn(64 * 1024, 256 * 1024 * 1024, 'a number of bytes from 65536 to 268435456').default(DEFAULTS.MaxConnectorSendBuffer),
  CommandTimeout: intIn(1, 600, 'a number of seconds from 1 to 600').default(DEFAULTS.CommandTimeout),
  CrmRetryMaxDelay: intIn(1, 3600, 'a number of seconds from 1 to 3600').default(DEFAULTS.CrmRetryMaxDelay),
  OutboxMaxRetryDelay: intIn(1, 3600, 'a number of seconds from 1 to 3600').default(DEFAULTS.OutboxMaxRetryDelay),
  CrmMaxRetryWait: intIn(1, 300, 'a number of seconds from 1 to 300').default(DEFAULTS.CrmMaxRetryWait),
  CallSilenceTimeout: intIn(1, 7 * 86_400, 'a number of seconds from 1 to 604800').default(DEFAULTS.CallSilenceTimeout),
  CallSweepInterval: z
    .number({ error: 'must be a number of seconds from 0.1 to 3600' })
    .refine((n) => n >= 0.1 && n <= 3600, { error: 'must be a number of seconds from 0.1 to 3600' })
    .default(DEFAULTS.CallSweepInterval),
  /** Off unless set: the CPU the event loop keeps to itself (Linux; src/platform/cpu-affinity.ts). */
  EventLoopCpu: intIn(0, 8191, 'a CPU number from 0 to 8191').optional(),
  ...healthKeysSchema,
});

export type ParsedManagerKeys = z.output<typeof managerKeysSchema>;

/**
 * Rules across keys, checked on the raw values so they are reported even
 * when another key is bad too (zod skips object refinements after an issue).
 */
export function crossKeyProblems(table: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const has = (key: string): boolean => table[key] !== undefined;
  const logArt = typeof table.LogArt === 'string' ? table.LogArt.trim().toLowerCase() : undefined;
  if (logArt === 'file' && !has('LogFile')) problems.push('LogFile: is required when LogArt = File');
  if (has('TlsCertFile') !== has('TlsKeyFile')) problems.push(`${has('TlsCertFile') ? 'TlsKeyFile' : 'TlsCertFile'}: TlsCertFile and TlsKeyFile go together`);
  if (has('TlsPfxFile') && (has('TlsCertFile') || has('TlsKeyFile'))) problems.push('TlsPfxFile: give either TlsPfxFile or TlsCertFile with TlsKeyFile, not both');
  if (has('TlsPfxPassword') && !has('TlsPfxFile')) problems.push('TlsPfxPassword: has no effect without TlsPfxFile');
  const tlsFiles = has('TlsCertFile') || has('TlsPfxFile');
  if ((table.ConnectorTls === 1 || table.ConnectorTls === true) && !tlsFiles) problems.push('ConnectorTls: needs TlsCertFile and TlsKeyFile, or TlsPfxFile');
  const keys = table.ConnectorKeys;
  if (Array.isArray(keys) && new Set(keys).size !== keys.length) problems.push('ConnectorKeys: lists the same key twice');
  problems.push(...healthKeyProblems(table, 'DiagnoseKey'));
  return problems;
}
