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
import { TARGETED_ACTIONS, controlNeeded } from '../../protocol/index.ts';
import type { CallControlAction, CallControlMessage, CallControlResultMessage, DialMessage, DialResultMessage, WireError } from '../../protocol/index.ts';
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
  /** A dial or consultation succeeded and the connector named the call it placed: who dialled it. */
  onDialed: (callKey: string, userId: string) => void;
  onAnswerRequested: (callKey: string, userId: string) => void;
  /**
   * A call control is sent (`asked`), and if the connector refused it
   * (`refused`): for the call's records. Noted before the command, because the
   * call may end (and be recorded) before the connector's result arrives.
   */
  onControlled?: (callKey: string, action: CallControlAction, dialString: string | undefined, stage: 'asked' | 'refused') => void;
  source: string;
}

export class DialService {
  private readonly limited = new Set<string>();

  constructor(private readonly o: DialOptions) {}

  async dial(caller: Caller, m: DialMessage): Promise<DialResultMessage> {
    const reply = (result: { ok: true; dialString: string } | { ok: false; error: WireError }): DialResultMessage => ({
      channel: 'intincall', command: 'dialResult', requestId: m.requestId, ...result,
    });
    const checked = this.numberToDial(caller, m.line, m.number, 'dial');
    if (!checked.ok) return reply(checked);
    const { dial, reported } = checked;
    const outcome = await this.o.connectorSide.command({ kind: 'makeCall', line: m.line, dialString: dial });
    if (!outcome.ok) {
      const error = fromConnector(outcome.error, m.line);
      this.audit(caller, 'dial', m.number, m.line, 'warning', `refused: ${error.code} (dial string ${dial}; connector said ${outcome.error.code})`);
      return reply({ ok: false, error });
    }
    if (outcome.callId !== undefined) this.o.onDialed(`${reported.connectorHost}/${outcome.callId}`, caller.userId);
    this.audit(caller, 'dial', m.number, m.line, 'information', `dialled ${dial}`);
    return reply({ ok: true, dialString: dial });
  }

  async callControl(caller: Caller, m: CallControlMessage): Promise<CallControlResultMessage> {
    const reply = (error?: WireError): CallControlResultMessage => ({
      channel: 'intincall', command: 'callControlResult', requestId: m.requestId, ...(error === undefined ? { ok: true } : { ok: false, error }),
    });
    const line = this.o.lineOfCall(m.callKey);
    if (line === undefined) return reply(wireError('unknown-call', 'the manager knows no active call with this key'));
    if (this.o.entitlements().grant(caller.userId, line) === undefined) return reply(wireError('line-not-entitled', `the call is on line ${line}, which is not one of your lines`));
    const control = controlNeeded(m.action);
    const reported = this.o.reportedLine(line);
    const controls = reported?.controls;
    // A connector that listed its controls is believed; an older one that did not is asked (and refuses with not-supported).
    if (control !== undefined && controls !== undefined && !controls.includes(control)) {
      return reply(wireError('control-not-supported', `line ${line} cannot ${m.action === 'unhold' ? 'resume' : m.action} calls: its phone system does not offer ${control}`));
    }
    let dialString: string | undefined;
    if (TARGETED_ACTIONS.includes(m.action)) {
      // A transfer or consultation target costs like a dial: the same rules, limits and audit.
      if (m.target === undefined) return reply(wireError('not-a-phone-number', `${m.action} needs a target number`));
      const checked = this.numberToDial(caller, line, m.target, m.action);
      if (!checked.ok) return reply(checked.error);
      dialString = checked.dial;
    }
    if (m.action === 'answer') this.o.onAnswerRequested(m.callKey, caller.userId);
    this.o.onControlled?.(m.callKey, m.action, dialString, 'asked');
    const outcome = await this.o.connectorSide.command({ kind: m.action, callKey: m.callKey, ...(dialString === undefined ? {} : { dialString }) });
    if (dialString !== undefined) {
      const what = outcome.ok ? `${m.action === 'transfer' ? 'transferred to' : 'consulting'} ${dialString}` : `refused: ${outcome.error.code}`;
      this.audit(caller, m.action, m.target ?? '', line, outcome.ok ? 'information' : 'warning', what);
    }
    if (!outcome.ok) this.o.onControlled?.(m.callKey, m.action, dialString, 'refused');
    // The consultation is a call the caller dialled: it is the caller's to record, like a dial.
    else if (m.action === 'consult' && outcome.callId !== undefined && reported !== undefined) this.o.onDialed(`${reported.connectorHost}/${outcome.callId}`, caller.userId);
    return outcome.ok ? reply() : reply(fromConnector(outcome.error, line));
  }

  /**
   * The dial path every number an agent sends goes through (dial, transfer,
   * consult): entitlement, the per-user rate limit, the line's dialing rules
   * and the connector being online. Refusals are audited.
   */
  private numberToDial(
    caller: Caller,
    line: string,
    number: string,
    what: string,
  ): { ok: true; dial: string; reported: ReportedLine } | { ok: false; error: WireError } {
    const refuse = (error: WireError, note: string): { ok: false; error: WireError } => {
      this.audit(caller, what, number, line, 'warning', note);
      return { ok: false, error };
    };
    const grant = this.o.entitlements().grant(caller.userId, line);
    if (grant === undefined) return refuse(wireError('line-not-entitled', `line ${line} is not one of your lines`), 'refused: line-not-entitled');
    if (!this.o.buckets.take(caller.userId)) {
      const first = !this.limited.has(caller.userId);
      this.limited.add(caller.userId);
      const error = wireError('rate-limited', `too many dial requests; try again in ${this.o.buckets.waitSeconds(caller.userId)} s`);
      return first ? refuse(error, 'refused: rate-limited (further refusals in this run are not logged)') : { ok: false, error };
    }
    this.limited.delete(caller.userId);
    const settings = this.o.settingsOf(grant.record);
    if (settings.dialing === undefined) {
      return refuse(
        wireError('line-settings-invalid', `the dialing settings of line ${line} are invalid: ${settings.dialingError?.message ?? 'unknown problem'}`),
        'refused: line-settings-invalid',
      );
    }
    const converted = toDialString(number, settings.dialing);
    if (!converted.ok) return refuse(wireError('not-a-phone-number', converted.error.message), `refused: not-a-phone-number (${converted.error.code})`);
    const reported = this.o.reportedLine(line);
    if (reported === undefined || !reported.connectorOnline) {
      return refuse(wireError('connector-offline', `line ${line} is not available: its connector is not connected`), `refused: connector-offline (dial string ${converted.dial})`);
    }
    return { ok: true, dial: converted.dial, reported };
  }

  private audit(caller: Caller, what: string, number: string, line: string, level: 'information' | 'warning', outcome: string): void {
    try {
      this.o.outbox.enqueue(eventLogWrite(this.o.schema, {
        name: `${what} by ${caller.userName}`.slice(0, 200),
        level,
        source: this.o.source.slice(0, 200),
        message: `user ${caller.userName} (${caller.userId}) asked to ${what} ${JSON.stringify(number)} on line ${line}: ${outcome}`,
        occurredOn: new Date(this.o.wallNow()),
      }));
    } catch (err) {
      this.o.logger.error({ err, userId: caller.userId }, 'dial audit entry could not be queued');
    }
  }
}
