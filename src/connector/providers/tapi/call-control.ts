// The tapi provider's call control (spec/protocol.md §7.7): hold, unhold and
// blind transfer where the line's address caps offer them (lines.ts reads
// dwCallFeatures into `controls`). The switch reports what follows (ONHOLD,
// CONNECTED, or DISCONNECTED/IDLE of the transferred call) as call states.
// Consultation and conference (lineSetupTransfer, lineCompleteTransfer,
// lineSetupConference) are not wired yet and refuse with `not-supported`.
import { LineProviderError, lineOffers, notSupported, refusedCallControl } from '../../line-provider.ts';
import type { CallControl, CallControlMethods, LineInfo } from '../../line-provider.ts';
import type { TapiMessage, TapiSession } from './binding.ts';
import type { CallEntry } from './calls.ts';

/** What the call-control methods need from the provider. */
export interface CallControlHost {
  /** The open session, or `provider-down`. */
  ready(): TapiSession;
  /** The live call, or `no-such-call`. */
  call(callId: string): CallEntry;
  lines(): readonly LineInfo[];
  /** Sends an asynchronous request and waits for its LINE_REPLY. */
  request(what: string, send: () => number): Promise<TapiMessage>;
}

export function tapiCallControl(host: CallControlHost): CallControlMethods {
  /** The live call, once its line's caps offer `control` (else `not-supported`, as the client hides the button). */
  const controlled = (callId: string, control: CallControl, what: string): CallEntry => {
    const call = host.call(callId);
    if (!lineOffers(host.lines(), call.line, control)) throw notSupported(`${what} on line ${call.line}`, 'tapi');
    return call;
  };
  const refused = refusedCallControl('tapi', (callId) => host.call(callId));
  return {
    ...refused,
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
      await host.request('lineUnhold', () => session.unhold(call.hCall));
    },
    async transfer(callId, dialString) {
      const session = host.ready();
      const call = controlled(callId, 'transfer', 'transfer');
      if (call.state !== 'connected' && call.state !== 'onhold') {
        throw new LineProviderError('invalid-state', `call ${callId} is ${call.state ?? 'new'}, only a connected or held call can be transferred`);
      }
      if (dialString.trim() === '') throw new LineProviderError('invalid-state', 'cannot transfer to an empty number');
      await host.request('lineBlindTransferW', () => session.blindTransfer(call.hCall, dialString));
    },
  };
}
