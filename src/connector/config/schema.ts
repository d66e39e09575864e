// Validation of the connector configuration: one sentence per bad key, naming
// the key as the manual spells it and saying what is allowed.
import { isIP } from 'node:net';
import { healthKeysSchema } from '../../config/health-keys.ts';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { flag, intIn, logArt, logLevel, nonEmpty, timeOfDay } from '../../config/keys.ts';
import {
  CONNECTOR_KEY_MAX_LENGTH,
  CONNECTOR_KEY_MIN_LENGTH,
  DEFAULTS,
  FUTURE_PROVIDER_KINDS,
  MANAGER_PORT_MAX,
  MANAGER_PORT_MIN,
  PROVIDER_KINDS,
} from './keys.ts';

/** RFC 1123 host name or FQDN: labels of letters, digits and inner hyphens. */
const HOST_NAME = /^(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

export function isManagerHost(value: string): boolean {
  const bare = value.startsWith('[') && value.endsWith(']') ? value.slice(1, -1) : value;
  return isIP(bare) !== 0 || HOST_NAME.test(value);
}

export type { TimeOfDay } from '../../config/keys.ts';

export const MAX_SIMULATED_LINES = 1000;

export function parseLineList(text: string): string[] | undefined {
  const names: string[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    const range = /^(\d{1,12})-(\d{1,12})$/.exec(part);
    if (range) {
      const from = Number(range[1]);
      const to = Number(range[2]);
      if (to < from || to - from >= MAX_SIMULATED_LINES) return undefined;
      for (let n = from; n <= to; n += 1) names.push(String(n));
    } else if (/^\d{1,12}$/.test(part)) {
      names.push(part);
    } else {
      return undefined;
    }
  }
  const unique = new Set(names);
  if (unique.size !== names.length || names.length > MAX_SIMULATED_LINES) return undefined;
  return names;
}

const simulatorProvider = z.object({
  Kind: z.literal('simulator'),
  Lines: z
    .string({ error: 'must be a list of line names or ranges, e.g. "20-29" or "20-29,40"' })
    .transform((text, ctx) => {
      const lines = parseLineList(text);
      if (lines === undefined) {
        ctx.addIssue({ code: 'custom', message: `must be distinct extensions (digits) or ascending ranges (at most ${MAX_SIMULATED_LINES} lines), e.g. "20-29,40"; got "${text.slice(0, 80)}"` });
        return z.NEVER;
      }
      return lines;
    }),
  ControlPort: intIn(0, 65535, 'a TCP port from 0 to 65535 (0 = any free port)').optional(),
});

const replayProvider = z.object({
  Kind: z.literal('replay'),
  File: nonEmpty('the path of a recorded session'),
  Speed: z
    .number({ error: 'must be a positive number (1 = real time, 0.5 = half speed)' })
    .refine((n) => Number.isFinite(n) && n > 0 && n <= 1000, { error: 'must be a number above 0 and at most 1000 (1 = real time)' })
    .default(1),
});

const tapiProvider = z.object({
  Kind: z.literal('tapi'),
  // The name TAPI shows for this application (lineInitializeEx's friendly name).
  AppName: nonEmpty('the application name shown by TAPI').default('crm-tapi'),
  RequestTimeout: intIn(1, 300, 'a number of seconds from 1 to 300 (how long lineMakeCall, lineAnswer and lineDrop wait for LINE_REPLY)').default(10),
});

const sipAccount = z
  .string({ error: 'must be a baresip account line, e.g. "<sip:25@pbx.example.com>;auth_pass=…"' })
  .trim()
  .refine((v) => /^(?:"[^"]*"\s*)?<?sips?:[^@\s]+@[^\s>;]+/i.test(v) && !/[\r\n]/.test(v), { error: 'must be a baresip account line starting with a SIP address, e.g. "<sip:25@pbx.example.com>;auth_pass=…"' });

const sipPhone = z.object(
  {
    Accounts: z.array(sipAccount, { error: 'must be a list of account lines' }).min(1, { error: 'must name at least one account' }).max(100),
    Control: z
      .string({ error: 'must be "host:port" of a running baresip\'s ctrl_tcp' })
      .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, { error: 'must be "host:port" of a running baresip\'s ctrl_tcp' })
      .optional(),
  },
  { error: 'must be a table with Accounts' },
);

const sipProvider = z.object({
  Kind: z.literal('sip'),
  Phones: z.array(sipPhone, { error: 'must be a list of phones ([[Provider.Phones]] tables)' }).min(1, { error: 'must name at least one phone' }).max(100),
  Baresip: nonEmpty('the path of the baresip program').optional(),
  ModulePath: nonEmpty("the directory of baresip's modules").optional(),
  SipAddress: z
    .string({ error: 'must be an IP address' })
    .refine((v) => isIP(v) !== 0, { error: 'must be the IP address baresip binds SIP and RTP to' })
    .optional(),
});

const kindMessage = `must be one of ${PROVIDER_KINDS.join(', ')}`;

const provider = z
  .object({ Kind: z.string({ error: kindMessage }) }, { error: 'must be a table with at least Kind = "simulator", "replay" or "sip"' })
  .passthrough()
  .superRefine((value, ctx) => {
    if ((FUTURE_PROVIDER_KINDS as readonly string[]).includes(value.Kind)) {
      ctx.addIssue({ code: 'custom', path: ['Kind'], message: `"${value.Kind}" is not available in this build yet; ${kindMessage}` });
    } else if (!(PROVIDER_KINDS as readonly string[]).includes(value.Kind)) {
      ctx.addIssue({ code: 'custom', path: ['Kind'], message: `${kindMessage}, got "${value.Kind}"` });
    }
  })
  .pipe(z.discriminatedUnion('Kind', [simulatorProvider, replayProvider, tapiProvider, sipProvider]));

export const connectorConfigSchema = z
  .object({
    CRMTapiManagerServer: z
      .string({ error: 'is required: the host name, FQDN, IPv4 or IPv6 address of the TAPI manager' })
      .trim()
      .refine(isManagerHost, { error: 'must be a host name, FQDN, IPv4 or IPv6 address' })
      .transform((v) => (v.startsWith('[') ? v.slice(1, -1) : v)),
    CRMTapiManagerPort: intIn(MANAGER_PORT_MIN, MANAGER_PORT_MAX, `an integer from ${MANAGER_PORT_MIN} to ${MANAGER_PORT_MAX} (the manual's range)`).default(
      DEFAULTS.CRMTapiManagerPort,
    ),
    ConnectionKeepAliveIntervall: intIn(1, 3600, 'a number of seconds from 1 to 3600').default(DEFAULTS.ConnectionKeepAliveIntervall),
    IncludeMediaTypeVideo: flag.default(false),
    RejectViaDisconnect: flag.default(false),
    NewInitTime: timeOfDay.optional(),
    LogArt: logArt.default(DEFAULTS.LogArt),
    LogFile: nonEmpty('the path of the log file').optional(),
    LogLevel: logLevel.default(DEFAULTS.LogLevel),
    ConnectorKey: z
      .string({ error: 'is required: the secret shared with the manager' })
      .refine((v) => v.length >= CONNECTOR_KEY_MIN_LENGTH && v.length <= CONNECTOR_KEY_MAX_LENGTH && v.trim() === v, {
        error: `must be ${CONNECTOR_KEY_MIN_LENGTH} to ${CONNECTOR_KEY_MAX_LENGTH} characters without leading or trailing spaces`,
      }),
    ConnectorHost: z
      .string({ error: 'must be a host name' })
      .trim()
      .refine((v) => HOST_NAME.test(v), { error: 'must be a host name or FQDN (it prefixes every line name as <host>:<line>)' })
      .optional(),
    ManagerTls: flag.default(false),
    ManagerCaFile: nonEmpty('the path of a PEM file with the CA certificate(s) of the manager').optional(),
    ManagerServerName: z
      .string({ error: 'must be a host name' })
      .trim()
      .refine((v) => HOST_NAME.test(v), { error: 'must be the host name in the manager certificate' })
      .optional(),
    EventBufferSize: intIn(10, 10_000_000, 'an integer from 10 to 10000000').default(DEFAULTS.EventBufferSize),
    // Absent: the buffer lives in memory only (events the manager has not acknowledged die with the process).
    BufferFile: nonEmpty('the path of the durable event buffer (an SQLite file of its own)').optional(),
    Provider: provider,
    ...healthKeysSchema,
  });

export type ParsedConnectorConfig = z.output<typeof connectorConfigSchema>;

/** Relative paths in the file are relative to the file, not to the working directory. */
export function resolvePaths(config: ParsedConnectorConfig, baseDir: string): ParsedConnectorConfig {
  const abs = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(baseDir, p));
  const provider = config.Provider.Kind === 'replay' ? { ...config.Provider, File: abs(config.Provider.File) ?? config.Provider.File } : config.Provider;
  return { ...config, LogFile: abs(config.LogFile), ManagerCaFile: abs(config.ManagerCaFile), BufferFile: abs(config.BufferFile), Provider: provider };
}
