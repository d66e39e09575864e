// Turns what the manager knows about a call into outbox writes for the three
// record kinds: call log entry ("TAPI Protokolle"), phone call activity
// ("Telefonanruf", created on behalf of the agent) and event log entry.
// Inputs come from other services, so every field is checked here.
import { randomUUID } from 'node:crypto';
import { activityPartyBind, bindValue, CALL_DIRECTION, CALL_OUTCOME, EVENT_LEVEL, phoneCallRegardingBind, STANDARD, type CallDirection, type CallOutcome, type EventLevel, type Schema } from '../schema.ts';
import { normalizeGuid } from '../web-api/odata.ts';
import type { OnBehalfOf } from '../web-api/types.ts';
import { OutboxError } from './errors.ts';
import type { OutboxWrite } from './store.ts';

/** A record the call is about (the directory's match). */
export interface RecordRef {
  /** Logical name, e.g. `contact`. */
  readonly entity: string;
  readonly id: string;
  /** Needed only for entities other than account, contact, lead and systemuser. */
  readonly entitySet?: string;
}

export interface CallLogEntry {
  /** Chosen by the caller when it must refer to the entry; generated otherwise. */
  readonly id?: string;
  readonly number: string;
  readonly line: string;
  readonly internalNumber?: string;
  readonly start: Date;
  readonly connected?: Date;
  readonly end?: Date;
  readonly durationSeconds?: number;
  readonly direction: CallDirection;
  readonly missed: boolean;
  /** Connector host + PBX call id. */
  readonly callKey?: string;
  readonly userId?: string;
  /** The phone call activity of the same call: written first, then referenced. */
  readonly phoneCallId?: string;
  /** What happened to the call beyond its times (e.g. "transferred to 26"), appended to the entry's name. */
  readonly note?: string;
  /** How the call ended for the agent (its own column, for views and reports). */
  readonly outcome?: CallOutcome;
  /** Where the agent transferred the call, as dialled (its own column; also in `note`). */
  readonly transferredTo?: string;
}

/** "Telefon Zeitfelder": which phone call attributes get start, end and duration. */
export interface PhoneTimeFields {
  readonly start: readonly string[];
  readonly end: readonly string[];
  /** Receive the duration in whole minutes. */
  readonly duration: readonly string[];
}

export const DEFAULT_TIME_FIELDS: PhoneTimeFields = { start: ['actualstart'], end: ['actualend'], duration: ['actualdurationminutes'] };

export interface PhoneCallActivity {
  readonly id?: string;
  readonly subject: string;
  readonly direction: 'incoming' | 'outgoing';
  /** The other party's number. */
  readonly phoneNumber: string;
  /** The agent: owner of the activity (written on their behalf) and the party on our side. */
  readonly agent: OnBehalfOf;
  /** The caller or callee record, when the directory found one: the other party and the regarding record. */
  readonly party?: RecordRef;
  /** Regarding record when it differs from `party`; null for none. */
  readonly regarding?: RecordRef | null;
  readonly start: Date;
  readonly end?: Date;
  readonly durationSeconds?: number;
  readonly timeFields?: PhoneTimeFields;
  readonly description?: string;
  /**
   * The agent's client may have created the activity under the same id during
   * the call: then write only the time fields into it, never what the agent
   * may have typed (subject, description, parties, regarding).
   */
  readonly updateTimesIfExists?: boolean;
}

export interface EventLogEntry {
  readonly id?: string;
  readonly name: string;
  readonly level: EventLevel;
  readonly source: string;
  readonly message: string;
  readonly occurredOn: Date;
}

const LOGICAL = /^[a-z][a-z0-9_]*$/;

/**
 * Parses the "Telefon Zeitfelder" values of a line configuration record:
 * comma-separated phone call attributes; in the start/end list names ending in
 * `start` get the call start and names ending in `end` the call end.
 */
export function parsePhoneTimeFields(startEnd: string | null | undefined, duration: string | null | undefined): PhoneTimeFields {
  const list = (text: string | null | undefined, what: string): string[] =>
    (text ?? '').split(/[\s,;]+/).filter((s) => s !== '').map((s) => {
      const name = s.toLowerCase();
      if (!LOGICAL.test(name)) throw new OutboxError('invalid-record', `Telefon Zeitfelder (${what}): "${s}" is not an attribute name`);
      return name;
    });
  const pairs = list(startEnd, 'Start/Ende');
  const bad = pairs.find((n) => !n.endsWith('start') && !n.endsWith('end'));
  if (bad !== undefined) throw new OutboxError('invalid-record', `Telefon Zeitfelder (Start/Ende): "${bad}" is neither a start nor an end field`);
  if (pairs.length === 0 && (duration ?? '').trim() === '') return DEFAULT_TIME_FIELDS;
  return { start: pairs.filter((n) => n.endsWith('start')), end: pairs.filter((n) => n.endsWith('end')), duration: list(duration, 'Dauer') };
}

export function callLogWrite(schema: Schema, entry: CallLogEntry, newId: () => string = randomUUID): OutboxWrite {
  const f = schema.callLog.fields;
  const id = guid(entry.id ?? newId(), 'call log id');
  text(entry.number, 'call log number', 100);
  text(entry.line, 'call log line', 200);
  if (CALL_DIRECTION[entry.direction] === undefined) throw invalid(`call log direction ${JSON.stringify(entry.direction)} is not incoming, outgoing or internal`);
  const body: Record<string, unknown> = {
    [f.name]: `${entry.direction} ${entry.number} on ${entry.line}${entry.note === undefined ? '' : `, ${entry.note}`}`.slice(0, 200),
    [f.number]: entry.number,
    [f.line]: entry.line,
    [f.start]: iso(entry.start, 'call log start'),
    [f.direction]: CALL_DIRECTION[entry.direction],
    [f.missed]: entry.missed,
  };
  if (entry.internalNumber !== undefined) body[f.internalNumber] = text(entry.internalNumber, 'call log internal number', 50);
  if (entry.connected !== undefined) body[f.connected] = iso(entry.connected, 'call log connected');
  if (entry.end !== undefined) body[f.end] = iso(entry.end, 'call log end');
  if (entry.durationSeconds !== undefined) body[f.duration] = seconds(entry.durationSeconds, 'call log duration');
  if (entry.callKey !== undefined) body[f.callKey] = text(entry.callKey, 'call log call key', 200);
  if (entry.outcome !== undefined) {
    if (CALL_OUTCOME[entry.outcome] === undefined) throw invalid(`call log outcome ${JSON.stringify(entry.outcome)} is not one of ${Object.keys(CALL_OUTCOME).join(', ')}`);
    body[f.outcome] = CALL_OUTCOME[entry.outcome];
  }
  if (entry.transferredTo !== undefined) body[f.transferredTo] = text(entry.transferredTo, 'call log transferred to', 100);
  if (entry.userId !== undefined) body[`${f.user}@odata.bind`] = bindValue(STANDARD.systemuser.entitySet, guid(entry.userId, 'call log user'));
  let dependsOn: string | undefined;
  if (entry.phoneCallId !== undefined) {
    dependsOn = guid(entry.phoneCallId, 'call log phone call');
    body[`${f.phoneCall}@odata.bind`] = bindValue(STANDARD.phonecall.entitySet, dependsOn);
  }
  // Call log entries stay owned by the manager's account (DESIGN.md): no impersonation.
  return { id, kind: 'callLog', entitySet: schema.callLog.entitySet, body, ...(dependsOn === undefined ? {} : { dependsOn }) };
}

export function phoneCallWrite(call: PhoneCallActivity, newId: () => string = randomUUID): OutboxWrite {
  const f = STANDARD.phonecall.fields;
  const id = guid(call.id ?? newId(), 'phone call id');
  if (call.direction !== 'incoming' && call.direction !== 'outgoing') throw invalid(`phone call direction ${JSON.stringify(call.direction)} is not incoming or outgoing`);
  const agentId = guid(call.agent.systemUserId, 'phone call agent');
  const body: Record<string, unknown> = {
    [f.subject]: text(call.subject, 'phone call subject', 200),
    [f.phoneNumber]: text(call.phoneNumber, 'phone call number', 200),
    // Always sent: Dataverse takes a phone call without it for an outgoing one.
    [f.directionCode]: call.direction === 'outgoing',
  };
  if (call.description !== undefined) body[f.description] = text(call.description, 'phone call description', 2000);
  const times = call.timeFields ?? DEFAULT_TIME_FIELDS;
  const timeValues: Record<string, unknown> = {};
  for (const name of times.start) timeValues[name] = iso(call.start, 'phone call start');
  if (call.end !== undefined) for (const name of times.end) timeValues[name] = iso(call.end, 'phone call end');
  if (call.durationSeconds !== undefined) {
    const minutes = Math.round(seconds(call.durationSeconds, 'phone call duration') / 60);
    for (const name of times.duration) timeValues[name] = minutes;
  }
  Object.assign(body, timeValues);
  const p = STANDARD.activityparty;
  const agentParty = { [p.fields.participationTypeMask]: 0, [activityPartyBind('systemuser')]: bindValue(STANDARD.systemuser.entitySet, agentId) };
  const parties: Record<string, unknown>[] = [];
  const other = call.party === undefined ? undefined : ref(call.party, 'phone call party');
  const otherParty = other === undefined ? undefined : { [p.fields.participationTypeMask]: 0, [activityPartyBind(other.entity)]: bindValue(other.entitySet, other.id) };
  // Incoming: from the caller to the agent. Outgoing: from the agent to the callee.
  const [from, to] = call.direction === 'incoming' ? [otherParty, agentParty] : [agentParty, otherParty];
  if (from) parties.push({ ...from, [p.fields.participationTypeMask]: p.participation.from });
  if (to) parties.push({ ...to, [p.fields.participationTypeMask]: p.participation.to });
  body[STANDARD.phonecall.partiesNavigation] = parties;
  const regarding = call.regarding === undefined ? other : call.regarding === null ? undefined : ref(call.regarding, 'phone call regarding');
  if (regarding !== undefined) body[phoneCallRegardingBind(regarding.entity)] = bindValue(regarding.entitySet, regarding.id);
  const onBehalfOf: OnBehalfOf = { systemUserId: agentId, ...(call.agent.entraObjectId ? { entraObjectId: call.agent.entraObjectId } : {}) };
  const ifExists = call.updateTimesIfExists === true && Object.keys(timeValues).length > 0 ? { ifExists: timeValues } : {};
  return { id, kind: 'phoneCall', entitySet: STANDARD.phonecall.entitySet, body, onBehalfOf, ...ifExists };
}

export function eventLogWrite(schema: Schema, entry: EventLogEntry, newId: () => string = randomUUID): OutboxWrite {
  const f = schema.eventLog.fields;
  if (EVENT_LEVEL[entry.level] === undefined) throw invalid(`event log level ${JSON.stringify(entry.level)} is not error, warning or information`);
  return {
    id: guid(entry.id ?? newId(), 'event log id'),
    kind: 'eventLog',
    entitySet: schema.eventLog.entitySet,
    body: {
      [f.name]: text(entry.name, 'event log name', 200),
      [f.level]: EVENT_LEVEL[entry.level],
      [f.source]: text(entry.source, 'event log source', 200),
      [f.message]: text(entry.message, 'event log message', 100_000),
      [f.occurredOn]: iso(entry.occurredOn, 'event log time'),
    },
  };
}

function ref(r: RecordRef, what: string): { entity: string; id: string; entitySet: string } {
  if (!LOGICAL.test(r.entity)) throw invalid(`${what}: ${JSON.stringify(r.entity)} is not an entity name`);
  const entitySet = r.entitySet ?? (STANDARD as Record<string, { entitySet?: string }>)[r.entity]?.entitySet;
  if (entitySet === undefined) throw invalid(`${what}: the entity set of "${r.entity}" is unknown; pass entitySet`);
  return { entity: r.entity, id: guid(r.id, what), entitySet };
}

function guid(value: string, what: string): string {
  const id = typeof value === 'string' ? normalizeGuid(value) : undefined;
  if (id === undefined) throw invalid(`${what} ${JSON.stringify(value).slice(0, 60)} is not a GUID`);
  return id;
}

function text(value: string, what: string, max: number): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid(`${what} is empty`);
  if (value.length > max) throw invalid(`${what} is longer than ${max} characters`);
  return value;
}

function iso(value: Date, what: string): string {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw invalid(`${what} is not a valid time`);
  return value.toISOString();
}

function seconds(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 0) throw invalid(`${what} ${String(value)} is not a whole number of seconds ≥ 0`);
  return value;
}

function invalid(message: string): OutboxError {
  return new OutboxError('invalid-record', message);
}
