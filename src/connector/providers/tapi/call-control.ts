// The tapi provider's call control (spec/protocol.md §7.7) where the line's
// address caps offer it (lines.ts reads them into `controls`): hold, unhold,
// blind transfer, and the consultation — lineSetupTransfer, lineDial on the
// consultation call, then lineCompleteTransfer in transfer or conference mode,
// or lineDrop of the consultation and lineUnhold of the primary call. The
// switch reports what follows as call states (tapi-provider.ts maps them).
import { LineProviderError, lineOffers, notSupported } from '../../line-provider.ts';
import type { CallControl, CallControlMethods, LineInfo } from '../../line-provider.ts';
import type { TapiMessage, TapiSession } from './binding.ts';
import type { CallEntry } from './calls.ts';
import { LINETRANSFERMODE } from './tapi-constants.ts';

/** What the call-control methods need from the provider. */
export interface CallControlHost {
  /** The open session, or `provider-down`. */
  ready(): TapiSession;
  /** The live call, or `no-such-call`. */
  call(callId: string): CallEntry;
  lines(): readonly LineInfo[];
  /** Sends an asynchronous request and waits for its LINE_REPLY; `onSuccess` runs as the reply is handled. */
  request(what: string, send: () => number, onSuccess?: (reply: TapiMessage) => void): Promise<TapiMessage>;
  /** The entry of a call handle TAPI returned with a reply (created if its first state has not come yet). */
  adopt(hCall: number, line: string): CallEntry;
  /** The primary call goes on on the conference call's handle. */
  rehome(entry: CallEntry, hCall: number): void;
}

const newHandle = (reply: TapiMessage, what: string): number => {
  if ((reply.hCall ?? 0) === 0) throw new LineProviderError('provider-down', `${what} succeeded without a call handle`);
  return reply.hCall as number;
};

export function tapiCallControl(host: CallControlHost): CallControlMethods {
  /** The live call, once its line's caps offer `control` (else `not-supported`, as the client hides the button). */
  const controlled = (callId: string, control: CallControl, what: string): CallEntry => {
    const call = host.call(callId);
    if (!lineOffers(host.lines(), call.line, control)) throw notSupported(`${what} on line ${call.line}`, 'tapi');
    return call;
  };
  const live = (entry: CallEntry | undefined): entry is CallEntry => entry !== undefined && entry.state !== 'idle';
  /** The held primary call and its answered consultation, for lineCompleteTransfer. */
  const joinable = (callId: string, control: CallControl, what: string): { primary: CallEntry; consultation: CallEntry } => {
    const primary = controlled(callId, control, what);
    const consultation = primary.consultation;
    if (!live(consultation)) throw new LineProviderError('invalid-state', `call ${callId} has no consultation (consult first)`);
    if (consultation.state !== 'connected') {
      throw new LineProviderError('invalid-state', `the consultation ${consultation.id} is ${consultation.state ?? 'new'}; it must be answered first (or cancel it)`);
    }
    if (primary.state !== 'onhold') throw new LineProviderError('invalid-state', `call ${callId} is ${primary.state ?? 'new'}, not on hold`);
    return { primary, consultation };
  };
  /** Drops the consultation and takes the primary call back, unless the switch already did (some reconnect on their own). */
  const giveBack = async (session: TapiSession, primary: CallEntry, consultation: CallEntry): Promise<void> => {
    if (live(consultation)) await host.request('lineDrop', () => session.drop(consultation.hCall));
    if (primary.state === 'onhold') await host.request('lineUnhold', () => session.unhold(primary.hCall));
  };
  const complete = async (callId: string, mode: 'transfer' | 'conference'): Promise<void> => {
    const session = host.ready();
    const { primary, consultation } = joinable(callId, mode === 'transfer' ? 'consult' : 'conference', mode === 'transfer' ? 'consultation transfer' : 'conference');
    if (mode === 'conference') {
      await host.request(
        'lineCompleteTransfer',
        () => session.completeTransfer(primary.hCall, consultation.hCall, LINETRANSFERMODE.LINETRANSFERMODE_CONFERENCE),
        (reply) => host.rehome(primary, newHandle(reply, 'lineCompleteTransfer')),
      );
      return;
    }
    // Both calls go idle, often without DISCONNECTED: their end is reported with reason `transferred`.
    primary.passedOn = consultation.passedOn = true;
    try {
      await host.request('lineCompleteTransfer', () => session.completeTransfer(primary.hCall, consultation.hCall, LINETRANSFERMODE.LINETRANSFERMODE_TRANSFER));
    } catch (err) {
      primary.passedOn = consultation.passedOn = false;
      throw err;
    }
  };
  return {
    async hold(callId) {
      const session = host.ready();
      const call = controlled(callId, 'hold', 'hold');
      if (call.state !== 'connected') throw new LineProviderError('invalid-state', `call ${callId} is ${call.state ?? 'new'}, only a connected call can be held`);
      await host.request('lineHold', () => session.hold(call.hCall));
    },
    async unhold(callId) {
      const session = host.ready();
      const call = controlled(callId, 'hold', 'unhold');
      if (call.state !== 'onhold') throw new LineProviderError('invalid-state', `call ${callId} is ${call.state ?? 'new'}, not on hold`);
      if (live(call.consultation)) throw new LineProviderError('invalid-state', `call ${callId} has a consultation running: complete, cancel or conference it`);
      await host.request('lineUnhold', () => session.unhold(call.hCall));
    },
    async transfer(callId, dialString) {
      const session = host.ready();
      const call = controlled(callId, 'transfer', 'transfer');
      if (call.state !== 'connected' && call.state !== 'onhold') {
        throw new LineProviderError('invalid-state', `call ${callId} is ${call.state ?? 'new'}, only a connected or held call can be transferred`);
      }
      if (live(call.consultation)) throw new LineProviderError('invalid-state', `call ${callId} has a consultation running: complete or cancel it instead`);
      if (dialString.trim() === '') throw new LineProviderError('invalid-state', 'cannot transfer to an empty number');
      await host.request('lineBlindTransferW', () => session.blindTransfer(call.hCall, dialString));
    },
    async consult(callId, dialString) {
      const session = host.ready();
      const primary = controlled(callId, 'consult', 'consultation');
      if (primary.consultationOf !== undefined) throw new LineProviderError('invalid-state', `call ${callId} is itself a consultation`);
      if (live(primary.consultation)) throw new LineProviderError('invalid-state', `call ${callId} already has a consultation (${primary.consultation.id})`);
      // lineSetupTransfer needs a connected call (MSDN); the switch holds it (ONHOLDPENDTRANSFER).
      if (primary.state !== 'connected') throw new LineProviderError('invalid-state', `call ${callId} is ${primary.state ?? 'new'}, only a connected call can be consulted from`);
      if (dialString.trim() === '') throw new LineProviderError('invalid-state', 'cannot consult an empty number');
      let consultation: CallEntry | undefined;
      await host.request(
        'lineSetupTransferW',
        () => session.setupTransfer(primary.hCall),
        (reply) => {
          consultation = host.adopt(newHandle(reply, 'lineSetupTransferW'), primary.line);
          consultation.placedHere = true;
          consultation.consultationOf = primary.id;
          primary.consultation = consultation;
        },
      );
      const consult = consultation as CallEntry;
      try {
        await host.request('lineDialW', () => session.dial(consult.hCall, dialString));
      } catch (err) {
        // The number was refused: the consultation goes and the caller is taken back, as an agent would do by hand.
        await giveBack(session, primary, consult).catch(() => undefined);
        throw err;
      }
      return consult.id;
    },
    completeTransfer: (callId) => complete(callId, 'transfer'),
    conference: (callId) => complete(callId, 'conference'),
    async cancelConsult(callId) {
      const session = host.ready();
      const primary = controlled(callId, 'consult', 'consultation');
      const consultation = primary.consultation;
      if (!live(consultation)) throw new LineProviderError('invalid-state', `call ${callId} has no consultation to cancel`);
      await giveBack(session, primary, consultation);
    },
  };
}
