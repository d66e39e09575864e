// zod schemas of what a recording holds: the LineProvider's own types
// (src/connector/line-provider.ts), checked field by field when a recording is
// read back, because a recording is outside input like any other file.
import { z } from 'zod';
import { CALL_ORIGINS, CALL_STATES } from '../../protocol/call-state.ts';
import { CALL_COMMANDS, CALL_CONTROLS } from '../../protocol/messages.ts';
import { CALL_END_REASONS, LINE_PROVIDER_ERROR_CODES } from '../line-provider.ts';

const text = (max: number) => z.string().max(max);
const at = z.number().finite().nonnegative();

export const lineInfoSchema = z
  .object({
    name: text(200).min(1),
    address: text(200),
    permanentId: text(200),
    mediaModes: z.array(z.enum(['audio', 'video'])).max(2),
    inService: z.boolean(),
    controls: z.array(z.enum(CALL_CONTROLS)).max(CALL_CONTROLS.length).optional(),
  })
  .strict();

const party = z.object({ number: text(100), name: text(200).optional() }).strict();

const callEvent = z
  .object({
    type: z.literal('call'),
    at,
    callId: text(200).min(1),
    relatedCallId: text(200).min(1).optional(),
    line: text(200).min(1),
    state: z.enum(CALL_STATES),
    origin: z.enum(CALL_ORIGINS),
    caller: party.optional(),
    called: party.optional(),
    connected: party.optional(),
    redirecting: party.optional(),
    consultationOf: text(200).min(1).optional(),
    reason: z.enum(CALL_END_REASONS).optional(),
  })
  .strict();

const lineName = text(200).min(1);

export const providerEventSchema = z.discriminatedUnion('type', [
  callEvent,
  z.object({ type: z.literal('lineAdded'), at, line: lineInfoSchema }).strict(),
  z.object({ type: z.literal('lineRemoved'), at, line: lineName }).strict(),
  z.object({ type: z.literal('lineOutOfService'), at, line: lineName }).strict(),
  z.object({ type: z.literal('lineInService'), at, line: lineName }).strict(),
  z.object({ type: z.literal('reinitRequired'), at, reason: text(500) }).strict(),
  z.object({ type: z.literal('providerDown'), at, reason: text(500) }).strict(),
  z.object({ type: z.literal('providerUp'), at }).strict(),
]);

/** The provider commands a recording holds: the call commands of the protocol, plus makeCall and reinitialize. */
export const COMMAND_NAMES = ['makeCall', 'reinitialize', ...CALL_COMMANDS] as const;
export type CommandName = (typeof COMMAND_NAMES)[number];

const offset = z.number().finite().nonnegative();

export const headerSchema = z
  .object({
    format: z.literal('crm-tapi-recording'),
    version: z.number().int(),
    provider: text(100).min(1),
    startedAt: z.iso.datetime({ offset: true }),
    lines: z.array(lineInfoSchema).max(100_000),
  })
  .strict();

const eventEntry = z.object({ t: offset, event: providerEventSchema }).strict();
const commandEntry = z
  .object({
    t: offset,
    command: z.enum(COMMAND_NAMES),
    args: z.array(text(200)).max(2),
    ok: z.boolean(),
    result: text(200).optional(),
    error: z.object({ code: z.enum(LINE_PROVIDER_ERROR_CODES), message: text(1000) }).strict().optional(),
  })
  .strict();
const endEntry = z.object({ t: offset, end: text(200) }).strict();

/**
 * The schema for one entry, chosen by its kind key so that a fault is
 * reported against that kind's fields rather than as "matches no kind".
 */
export function entrySchemaFor(value: unknown): z.ZodType | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  if ('event' in value) return eventEntry;
  if ('command' in value) return commandEntry;
  if ('end' in value) return endEntry;
  return undefined;
}
