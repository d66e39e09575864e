// Records of calls (issue 7 item 8): when a call ends, the call log entry and,
// as the line's "Telefonanruf öffnen" option says, the phone call activity go
// into the durable outbox — also for missed calls and calls no client saw.
// The phone call is written on behalf of the agent (DESIGN.md
// "Clarifications"): the user who answered, else who dialled, else the line's
// own user; without any agent only the call log entry is written. Call log
// entries stay owned by the manager's account. A hunt-group leg another line
// took writes nothing: the call is recorded once, on the line that answered.
import type { Logger } from 'pino';
import type { DirectoryMatch } from '../../dataverse/directory/directory.ts';
import { callLogWrite, phoneCallWrite, type RecordRef } from '../../dataverse/outbox/records.ts';
import { OutboxError } from '../../dataverse/outbox/errors.ts';
import type { Outbox } from '../../dataverse/outbox/outbox.ts';
import type { OutboxWrite } from '../../dataverse/outbox/store.ts';
import type { LineConfigRecord } from '../../dataverse/repositories/index.ts';
import type { CallOutcome, Schema } from '../../dataverse/schema.ts';
import type { EffectiveDialingSettings } from '../../dialing/index.ts';
import type { ReportedLine } from '../contracts.ts';
import type { LineSettings } from '../entitlements/settings.ts';
import type { EntitlementTable } from '../entitlements/table.ts';
import type { KnownUser } from '../entitlements/users.ts';
import { isMissed, type TrackedCall } from '../routing/calls.ts';
import { identify, identifyCall } from '../routing/notification.ts';
import { nameBasedId, phoneCallIdFor } from './ids.ts';

export interface RecorderOptions {
  outbox: Pick<Outbox, 'enqueue'> & Partial<Pick<Outbox, 'atomically' | 'enqueueLater'>>;
  schema: Schema;
  entitlements: () => EntitlementTable;
  settingsOf: (record: LineConfigRecord) => LineSettings;
  lookup: (number: string, settings: EffectiveDialingSettings) => DirectoryMatch[];
  user: (id: string) => Promise<KnownUser | undefined>;
  reportedLine: (line: string) => ReportedLine | undefined;
  logger: Logger;
}

export interface RecordedCall {
  callLogId: string;
  phoneCallId?: string;
  agent?: string;
}

/** A call's records, built and not yet queued. */
export interface PreparedRecords {
  readonly writes: readonly OutboxWrite[];
  readonly recorded: RecordedCall;
}

/** The agent of a call and the line record whose settings apply to it. */
export function agentOf(call: TrackedCall, table: EntitlementTable): { agent?: string; record?: LineConfigRecord } {
  const users = table.usersOf(call.line);
  const own = users.map((u) => table.grant(u, call.line)).filter((g) => g?.via === 'own').sort((a, b) => ((a?.record.createdOn?.getTime() ?? 0) - (b?.record.createdOn?.getTime() ?? 0)));
  const agent = call.answeredBy ?? (call.incoming ? undefined : call.dialedBy) ?? own[0]?.record.userId;
  const record = (agent === undefined ? undefined : table.grant(agent, call.line)?.record)
    ?? own[0]?.record
    ?? [...table.recordsById.values()].find((r) => r.kind === 'userLine' && r.line === call.line);
  return { ...(agent === undefined ? {} : { agent }), ...(record === undefined ? {} : { record }) };
}

function wantsPhoneCall(call: TrackedCall, settings: LineSettings | undefined): boolean {
  if (call.origin === 'internal') return false; // a call between colleagues is no customer contact
  const option = settings?.openPhoneCall ?? 'incoming';
  if (option === 'never') return false;
  if (option === 'always') return true;
  return call.incoming ? option === 'incoming' : option === 'outgoing';
}

function date(timestamp: string | undefined): Date | undefined {
  if (timestamp === undefined) return undefined;
  const d = new Date(timestamp);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export class CallRecorder {
  /**
   * As `enqueue`, without this thread waiting for the disk (the outbox may commit them off the event loop):
   * resolves once all of them survive a power cut, rejects when the store refused them (none stored then).
   * Present only when the outbox offers it.
   */
  readonly enqueueLater?: (calls: readonly PreparedRecords[]) => Promise<void>;

  constructor(private readonly o: RecorderOptions) {
    const later = o.outbox.enqueueLater?.bind(o.outbox);
    // A record whose id is taken was queued before a restart (the journal replayed its call): recorded already.
    if (later !== undefined) this.enqueueLater = async (calls) => void (await later(calls.flatMap((c) => c.writes)));
  }

  /** Enqueues the call's records; never throws (failures are logged with the call key). */
  async record(call: TrackedCall): Promise<RecordedCall | undefined> {
    if (call.answeredElsewhere) return undefined;
    try {
      const prepared = await this.prepare(call);
      this.enqueue([prepared]);
      return prepared.recorded;
    } catch (err) {
      this.o.logger.error({ err, callKey: call.callKey, line: call.line }, 'records of a call could not be queued');
      return undefined;
    }
  }

  /**
   * Enqueues the records of several calls in one transaction (issue 18: one commit per turn, not per call):
   * all or none of them stored. A record queued before a restart (the journal replayed the call) is durable
   * already and skipped. Throws when the store fails.
   */
  enqueue(calls: readonly PreparedRecords[]): void {
    const enqueueAll = () => {
      for (const c of calls) {
        for (const w of c.writes) {
          try {
            this.o.outbox.enqueue(w);
          } catch (err) {
            if (!(err instanceof OutboxError && err.code === 'duplicate-id')) throw err;
          }
        }
      }
    };
    if (this.o.outbox.atomically === undefined) enqueueAll();
    else this.o.outbox.atomically(enqueueAll);
  }

  /** The call's records, built (reading the agent's user record): not yet queued. Throws when they cannot be built. */
  async prepare(call: TrackedCall): Promise<PreparedRecords> {
    const table = this.o.entitlements();
    const { agent, record } = agentOf(call, table);
    const settings = record === undefined ? undefined : this.o.settingsOf(record);
    const start = date(call.startedAt) as Date;
    const end = date(call.endedAt ?? call.lastTimestamp) ?? start;
    const connected = date(call.connectedAt);
    const duration = connected === undefined ? undefined : Math.max(0, Math.floor((end.getTime() - connected.getTime()) / 1000));
    const missed = isMissed(call);
    const number = call.number.trim() === '' ? 'anonymous' : call.number;
    const note = outcomeNote(call);
    const writes: OutboxWrite[] = [];
    let phoneCallId: string | undefined;
    if (agent !== undefined && wantsPhoneCall(call, settings)) {
      const user = await this.o.user(agent);
      if (user !== undefined && !user.disabled) {
        const best = (record === undefined ? identify(call.number, undefined, this.o.lookup) : identifyCall(call, record.id, settings?.dialing, this.o.lookup)).matches[0];
        const party: RecordRef | undefined = best === undefined ? undefined : { entity: best.entity, id: best.id };
        const who = best?.name || number;
        const subject = missed ? `Missed call from ${who}` : call.reason === 'rejected' ? `Rejected call from ${who}` : call.incoming ? `Call from ${who}` : `Call to ${who}`;
        const base = {
          // The id the agent's client got in callNotification: it may have created the activity already.
          id: phoneCallIdFor(call, user.id),
          updateTimesIfExists: true,
          subject: subject.slice(0, 200),
          direction: call.incoming ? ('incoming' as const) : ('outgoing' as const),
          phoneNumber: number.slice(0, 200),
          agent: { systemUserId: user.id, ...(user.entraObjectId === undefined ? {} : { entraObjectId: user.entraObjectId }) },
          start,
          end,
          ...(duration === undefined ? {} : { durationSeconds: duration }),
          ...(settings === undefined ? {} : { timeFields: settings.timeFields }),
          ...(note === undefined ? {} : { description: `The call was ${note}; the duration is the agent's part.` }),
        };
        let write: OutboxWrite;
        try {
          write = phoneCallWrite(party === undefined ? base : { ...base, party });
        } catch {
          write = phoneCallWrite(base); // a match of an entity without a known entity set: no party, still the activity
        }
        writes.push(write);
        phoneCallId = write.id;
      }
    }
    const internal = this.o.reportedLine(call.line)?.address;
    writes.push(callLogWrite(this.o.schema, {
      id: nameBasedId('calllog', call.callKey, call.startedAt),
      number: number.slice(0, 100),
      line: call.line.slice(0, 200),
      ...(internal === undefined || internal.trim() === '' ? {} : { internalNumber: internal.slice(0, 50) }),
      start,
      ...(connected === undefined ? {} : { connected }),
      end,
      ...(duration === undefined ? {} : { durationSeconds: duration }),
      direction: call.origin === 'internal' ? 'internal' : call.incoming ? 'incoming' : 'outgoing',
      missed,
      callKey: call.callKey.slice(0, 200),
      ...(agent === undefined ? {} : { userId: agent }),
      ...(phoneCallId === undefined ? {} : { phoneCallId }),
      ...(note === undefined ? {} : { note }),
      outcome: outcomeOf(call, missed),
      ...(call.transferredTo === undefined || call.transferredTo.trim() === '' ? {} : { transferredTo: call.transferredTo.slice(0, 100) }),
    }));
    return { writes, recorded: { callLogId: writes[writes.length - 1]?.id as string, ...(phoneCallId === undefined ? {} : { phoneCallId }), ...(agent === undefined ? {} : { agent }) } };
  }
}

/** How the call ended for the agent: the call log's outcome column. */
export function outcomeOf(call: TrackedCall, missed: boolean): CallOutcome {
  if (call.transferredTo !== undefined || call.reason === 'transferred') return 'transferred';
  if (call.reason === 'conferenced') return 'conferenced';
  if (call.connectedAt !== undefined) return 'answered';
  if (call.reason === 'rejected') return 'rejected';
  return missed ? 'missed' : 'notAnswered';
}

/** What the agent did with the call, in the records' words: where it was transferred, or that it joined a conference. */
export function outcomeNote(call: TrackedCall): string | undefined {
  if (call.transferredTo !== undefined) return `transferred to ${call.transferredTo}`.slice(0, 120);
  if (call.reason === 'transferred') return 'transferred';
  if (call.reason === 'conferenced') return 'joined to a conference';
  return undefined;
}
