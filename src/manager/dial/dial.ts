// Click-to-dial and call control (issue 7 item 7). Every request is checked
// against the proven user's entitlements; a dial number is converted with the
// effective dialing settings of the user's record of that line (src/dialing)
// and refused when it is not a phone number. Dials are rate-limited per user
// and audited in the CRM event log; a run of refusals by the rate limit is
// audited once when it begins, so a flood cannot flood the event log.
import type { Logger } from 'pino';
import { eventLogWrite } from '../../dataverse/outbox/records.ts';
import type { Outbox } from '../../dataverse/outbox/outbox.ts';
import type { LineConfigRecord } from '../../dataverse/repositories/index.ts';
import type { Schema } from '../../dataverse/schema.ts';
import { toDialString } from '../../dialing/index.ts';
import type { CallControlMessage, CallControlResultMessage, DialMessage, DialResultMessage, WireError } from '../../protocol/index.ts';
import type { ConnectorSide, ReportedLine } from '../contracts.ts';
import type { LineSettings } from '../entitlements/settings.ts';
import type { EntitlementTable } from '../entitlements/table.ts';
import { fromConnector, wireError } from './errors.ts';
import type { TokenBuckets } from './rate-limit.ts';

export interface Caller {
  userId: string;
  userName: string;
}

export interface DialOptions {
  connectorSide: ConnectorSide;
  /** The connector side's report of a line (current online state). */
  reportedLine: (line: string) => ReportedLine | undefined;
  entitlements: () => EntitlementTable;
  settingsOf: (record: LineConfigRecord) => LineSettings;
  buckets: TokenBuckets;
  outbox: Pick<Outbox, 'enqueue'>;
  schema: Schema;
  logger: Logger;
  /** Wall time: when a refused dial happened, for the CRM's event log. */
  wallNow: () => number;
  /** The line of a call the manager tracks (callControl). */
  lineOfCall: (callKey: string) => string | undefined;
  /** A dial succeeded and the connector named the call: who dialled it. */
  onDialed: (callKey: string, userId: string) => void;
  onAnswerRequested: (callKey: string, userId: string) => void;
  source: string;
}

export class DialService {
  private readonly limited = new Set<string>();

  constructor(private readonly o: DialOptions) {}

  async dial(caller: Caller, m: DialMessage): Promise<DialResultMessage> {
    const reply = (result: { ok: true; dialString: string } | { ok: false; error: WireError }): DialResultMessage => ({
      channel: 'intincall', command: 'dialResult', requestId: m.requestId, ...result,
    });
    const grant = this.o.entitlements().grant(caller.userId, m.line);
    if (grant === undefined) {
      this.audit(caller, m, 'warning', `refused: line-not-entitled`);
      return reply({ ok: false, error: wireError('line-not-entitled', `line ${m.line} is not one of your lines`) });
    }
    if (!this.o.buckets.take(caller.userId)) {
      if (!this.limited.has(caller.userId)) {
        this.limited.add(caller.userId);
        this.audit(caller, m, 'warning', 'refused: rate-limited (further refusals in this run are not logged)');
      }
      return reply({ ok: false, error: wireError('rate-limited', `too many dial requests; try again in ${this.o.buckets.waitSeconds(caller.userId)} s`) });
    }
    this.limited.delete(caller.userId);
    const settings = this.o.settingsOf(grant.record);
    if (settings.dialing === undefined) {
      this.audit(caller, m, 'warning', 'refused: line-settings-invalid');
      return reply({ ok: false, error: wireError('line-settings-invalid', `the dialing settings of line ${m.line} are invalid: ${settings.dialingError?.message ?? 'unknown problem'}`) });
    }
    const converted = toDialString(m.number, settings.dialing);
    if (!converted.ok) {
      this.audit(caller, m, 'warning', `refused: not-a-phone-number (${converted.error.code})`);
      return reply({ ok: false, error: wireError('not-a-phone-number', converted.error.message) });
    }
    const reported = this.o.reportedLine(m.line);
    if (reported === undefined || !reported.connectorOnline) {
      this.audit(caller, m, 'warning', `refused: connector-offline (dial string ${converted.dial})`);
      return reply({ ok: false, error: wireError('connector-offline', `line ${m.line} is not available: its connector is not connected`) });
    }
    const outcome = await this.o.connectorSide.command({ kind: 'makeCall', line: m.line, dialString: converted.dial });
    if (!outcome.ok) {
      const error = fromConnector(outcome.error, m.line);
      this.audit(caller, m, 'warning', `refused: ${error.code} (dial string ${converted.dial}; connector said ${outcome.error.code})`);
      return reply({ ok: false, error });
    }
    if (outcome.callId !== undefined) this.o.onDialed(`${reported.connectorHost}/${outcome.callId}`, caller.userId);
    this.audit(caller, m, 'information', `dialled ${converted.dial}`);
    return reply({ ok: true, dialString: converted.dial });
  }

  async callControl(caller: Caller, m: CallControlMessage): Promise<CallControlResultMessage> {
    const reply = (error?: WireError): CallControlResultMessage => ({
      channel: 'intincall', command: 'callControlResult', requestId: m.requestId, ...(error === undefined ? { ok: true } : { ok: false, error }),
    });
    const line = this.o.lineOfCall(m.callKey);
    if (line === undefined) return reply(wireError('unknown-call', 'the manager knows no active call with this key'));
    if (this.o.entitlements().grant(caller.userId, line) === undefined) return reply(wireError('line-not-entitled', `the call is on line ${line}, which is not one of your lines`));
    if (m.action === 'answer') this.o.onAnswerRequested(m.callKey, caller.userId);
    const outcome = await this.o.connectorSide.command({ kind: m.action, callKey: m.callKey });
    return outcome.ok ? reply() : reply(fromConnector(outcome.error, line));
  }

  private audit(caller: Caller, m: DialMessage, level: 'information' | 'warning', outcome: string): void {
    try {
      this.o.outbox.enqueue(eventLogWrite(this.o.schema, {
        name: `dial by ${caller.userName}`.slice(0, 200),
        level,
        source: this.o.source.slice(0, 200),
        message: `user ${caller.userName} (${caller.userId}) asked to dial ${JSON.stringify(m.number)} on line ${m.line}: ${outcome}`,
        occurredOn: new Date(this.o.wallNow()),
      }));
    } catch (err) {
      this.o.logger.error({ err, userId: caller.userId }, 'dial audit entry could not be queued');
    }
  }
}
