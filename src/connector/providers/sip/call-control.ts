// Call control on a baresip 1.0.0 phone: hold, resume and blind transfer
// (SIP REFER), as its `menu` module offers them through ctrl_tcp. Every
// command acts on the current call of the current account, so each first
// selects them (`uafind`, `callfind`). Measured on Debian's 1.0.0 (docs/sip.md):
// hold and resume are re-INVITEs reported by no event, so the state follows
// the accepted command; a REFER's success closes our call with "Call
// transfered" once the target answers; a refused one is TRANSFER_FAILED and
// baresip drops the call with no CALL_CLOSED. There is no consultation and no
// conference in 1.0.0's ctrl_tcp: those refuse with `not-supported`.
import { LineProviderError, refusedCallControl } from '../../line-provider.ts';
import type { CallControl, CallControlMethods, CallEndReason } from '../../line-provider.ts';
import type { SipCall } from './call-table.ts';
import { cleanDialString, transferUri } from './messages.ts';
import type { Phone } from './phone.ts';

/** What a line's phone can do for its calls. */
export const SIP_CONTROLS: readonly CallControl[] = ['hold', 'transfer'];

export type CallCommand = 'accept' | 'hangup' | 'hold' | 'resume' | 'transfer';

export interface PhoneLine {
  readonly aor: string;
  readonly phone: Phone;
}

/** Runs `command` on the call in baresip after selecting its account and the call. */
export async function onCall(line: PhoneLine, call: SipCall, command: CallCommand, params?: string): Promise<void> {
  await line.phone.run(async (send) => {
    await send('uafind', line.aor);
    const found = await send('callfind', call.bid ?? '');
    if (/not found/i.test(found.data)) throw new LineProviderError('no-such-call', `baresip no longer has call ${call.callId}`);
    const done = await send(command, params);
    if (!done.ok) throw new LineProviderError('invalid-state', `baresip refused ${command}: ${done.data.trim().slice(0, 120)}`);
  });
}

export interface CallControlHost {
  requireCall(callId: string): SipCall;
  requireLine(name: string): PhoneLine;
  /** The call is still in the provider's table. */
  isActive(call: SipCall): boolean;
  emitCall(call: SipCall): void;
  end(call: SipCall, reason: CallEndReason): void;
  log?(level: 'info' | 'warn', message: string, fields?: Record<string, unknown>): void;
}

export class SipCallControl implements CallControlMethods {
  readonly #refused: CallControlMethods;
  readonly consult: CallControlMethods['consult'];
  readonly completeTransfer: CallControlMethods['completeTransfer'];
  readonly cancelConsult: CallControlMethods['cancelConsult'];
  readonly conference: CallControlMethods['conference'];

  constructor(private readonly host: CallControlHost) {
    this.#refused = refusedCallControl('sip', (callId) => host.requireCall(callId));
    this.consult = this.#refused.consult;
    this.completeTransfer = this.#refused.completeTransfer;
    this.cancelConsult = this.#refused.cancelConsult;
    this.conference = this.#refused.conference;
  }

  async hold(callId: string): Promise<void> {
    const call = this.host.requireCall(callId);
    if (call.state !== 'connected') throw new LineProviderError('invalid-state', `call ${callId} is ${call.state}; only a connected call can be held`);
    await onCall(this.host.requireLine(call.line), call, 'hold');
    this.follow(call, 'onhold');
  }

  async unhold(callId: string): Promise<void> {
    const call = this.host.requireCall(callId);
    if (call.state !== 'onhold') throw new LineProviderError('invalid-state', `call ${callId} is ${call.state}; only a held call can be taken back`);
    await onCall(this.host.requireLine(call.line), call, 'resume');
    this.follow(call, 'connected');
  }

  /** Resolves once baresip sent the REFER; the call's end follows from baresip's events. */
  async transfer(callId: string, dialString: string): Promise<void> {
    const call = this.host.requireCall(callId);
    if (call.state !== 'connected' && call.state !== 'onhold') {
      throw new LineProviderError('invalid-state', `call ${callId} is ${call.state}; only a connected or held call can be transferred`);
    }
    const target = cleanDialString(dialString);
    if (target === undefined) throw new LineProviderError('invalid-state', `cannot transfer to "${dialString.slice(0, 40)}": digits, +, *, # or a SIP URI expected`);
    const line = this.host.requireLine(call.line);
    await onCall(line, call, 'transfer', transferUri(line.aor, target));
  }

  /** TRANSFER_FAILED: the call ends (target unreachable) if baresip dropped it, else it stays. */
  async transferFailed(call: SipCall, line: PhoneLine, status: string | undefined): Promise<void> {
    this.host.log?.('warn', 'the transfer target refused the call', { line: call.line, callId: call.callId, status: status?.slice(0, 80) });
    const gone = await line.phone
      .run(async (send) => {
        await send('uafind', line.aor);
        return /not found/i.test((await send('callfind', call.bid ?? '')).data);
      })
      .catch(() => false);
    if (gone) this.host.end(call, 'unreachable');
  }

  private follow(call: SipCall, state: 'onhold' | 'connected'): void {
    if (!this.host.isActive(call) || call.state === state) return;
    call.state = state;
    this.host.emitCall(call);
  }
}
