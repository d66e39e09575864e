// One call notification for one user: the call's current state, the number
// normalised with the user's line settings, the CRM records the directory
// finds for it (all of them, best first) and the line's popup settings.
import type { DirectoryMatch } from '../../dataverse/directory/directory.ts';
import { normalizeIncoming, type EffectiveDialingSettings } from '../../dialing/index.ts';
import { carryableText, type CallNotificationMessage, type CrmMatch } from '../../protocol/index.ts';
import type { LineSettings } from '../entitlements/settings.ts';
import type { TrackedCall } from './calls.ts';

/** The catalogue allows 100 matches per notification. */
export const MAX_MATCHES = 100;

export interface Identification {
  matches: CrmMatch[];
  e164?: string;
  extension?: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function identify(number: string, dialing: EffectiveDialingSettings | undefined, lookup: (n: string, s: EffectiveDialingSettings) => DirectoryMatch[]): Identification {
  if (dialing === undefined || number.trim() === '') return { matches: [] };
  const normalized = normalizeIncoming(number, dialing);
  let found: DirectoryMatch[] = [];
  try {
    found = lookup(number, dialing);
  } catch {
    // a broken directory must not stop the popup: the number alone still helps
  }
  // Exact matches before those found only through the company's base number.
  const sorted = [...found].sort((a, b) => Number(a.viaFallback) - Number(b.viaFallback));
  const matches = sorted
    .filter((m) => GUID.test(m.id) && /^[a-z][a-z0-9_]{0,127}$/.test(m.entity) && m.field !== '')
    .slice(0, MAX_MATCHES)
    .map((m) => ({ entity: m.entity, id: m.id.toLowerCase(), name: carryableText(m.name, 256), field: m.field.slice(0, 128) }));
  if (!normalized.ok) return { matches };
  if (normalized.kind === 'internal') return normalized.extension.length <= 20 ? { matches, extension: normalized.extension } : { matches };
  return normalized.e164.length <= 16 ? { matches, e164: normalized.e164 } : { matches };
}

// Per call, per line record (its dialing settings) and number: identified once, for every popup of the call
// and for its records at call end (issue 18: libphonenumber ran twice per notification and again at the end).
const identified = new WeakMap<TrackedCall, Map<string, Identification>>();

/** `identify` for a call, cached on the call: the popup and the call's records name the same party. */
export function identifyCall(call: TrackedCall, recordId: string, dialing: EffectiveDialingSettings | undefined, lookup: (n: string, s: EffectiveDialingSettings) => DirectoryMatch[]): Identification {
  let byRecord = identified.get(call);
  if (byRecord === undefined) identified.set(call, (byRecord = new Map()));
  const key = `${recordId}\u0000${call.number}`;
  let found = byRecord.get(key);
  if (found === undefined) byRecord.set(key, (found = identify(call.number, dialing, lookup)));
  return found;
}

export interface NotificationInput {
  notificationId: string;
  call: TrackedCall;
  timestamp: string;
  settings: LineSettings;
  identification: Identification;
  answeredBy?: string;
  /** The phone call activity id for this call and the receiving user (records/ids.ts). */
  phoneCallId?: string;
  replayed: boolean;
}

export function buildNotification(input: NotificationInput): CallNotificationMessage {
  const { call, identification: id } = input;
  return {
    channel: 'intincall',
    command: 'callNotification',
    notificationId: input.notificationId,
    callKey: call.callKey,
    timestamp: input.timestamp,
    line: call.line,
    state: call.state,
    direction: call.origin,
    number: call.number,
    ...(id.e164 === undefined ? {} : { e164: id.e164 }),
    ...(id.extension === undefined ? {} : { extension: id.extension }),
    matches: id.matches,
    popup: input.settings.popup,
    ...(call.reason === undefined || (call.state !== 'disconnected' && call.state !== 'idle') ? {} : { endedReason: call.reason }),
    ...(input.answeredBy === undefined ? {} : { answeredBy: carryableText(input.answeredBy, 256) }),
    ...(input.phoneCallId === undefined ? {} : { phoneCallId: input.phoneCallId }),
    ...(call.consultationOf === undefined ? {} : { consultationOf: call.consultationOf.slice(0, 384) }),
    replayed: input.replayed,
  };
}
