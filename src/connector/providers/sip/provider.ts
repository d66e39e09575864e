// `SipLineProvider` (Kind "sip"): the lines are the accounts of one or more
// baresip phones, driven through ctrl_tcp. Facts of baresip 1.0.0 it works
// around (measured, see docs/sip.md): `dial` does not return the call id (the
// call is linked by the next outgoing event of its account); `accept` and
// `hangup` act on the current call of the current account, whatever their
// argument, so every call command first selects them with `uafind <aor>` and
// `callfind <id>`; a rejected incoming call is a `hangup` while it rings
// (baresip answers "486 Rejected"). Hold, resume and blind transfer: call-control.ts.
import { performance } from 'node:perf_hooks';
import { LineProviderError } from '../../line-provider.ts';
import type { CallEndReason, CallInfo, LineInfo, LineProvider, ProviderEvent, ProviderListener } from '../../line-provider.ts';
import type { CallState } from '../../../protocol/call-state.ts';
import { CallTable, advances, callInfo } from './call-table.ts';
import type { SipCall } from './call-table.ts';
import { cleanDialString, endReason, uriUser } from './messages.ts';
import { SIP_CONTROLS, SipCallControl, onCall } from './call-control.ts';
import type { CtrlEvent, Registration } from './messages.ts';
import { Phone } from './phone.ts';
import type { PhoneConfig, PhoneOptions } from './phone.ts';
import { callIdSession } from '../call-id-session.ts';

export interface SipProviderOptions extends PhoneOptions {
  readonly phones: readonly PhoneConfig[];
  /** Monotonic milliseconds (default performance.now). */
  readonly now?: () => number;
  /** A dial whose call baresip never reports is ended after this long (default 10 s). */
  readonly dialLinkTimeoutMs?: number;
  readonly log?: (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;
}

interface SipLine {
  info: LineInfo;
  readonly aor: string;
  readonly phone: Phone;
}

export { cleanDialString } from './messages.ts';


export class SipLineProvider implements LineProvider {
  readonly kind = 'sip';
  private phase: 'new' | 'opening' | 'open' | 'closed' = 'new';
  private readonly listeners = new Set<ProviderListener>();
  private readonly lineByName = new Map<string, SipLine>();
  private readonly lineByAor = new Map<string, SipLine>();
  private readonly phones: Phone[];
  /** The process start in every id: call ids never repeat across connector restarts (call-id-session.ts). */
  private readonly calls = new CallTable(`sip-${callIdSession()}-`);
  private readonly now: () => number;
  private origin = 0;
  private lastAt = 0;
  private opened: readonly LineInfo[] | undefined;

  constructor(private readonly options: SipProviderOptions) {
    this.now = options.now ?? (() => performance.now());
    this.phones = options.phones.map((config) => {
      const phone: Phone = new Phone(config, options, {
        onEvent: (event) => this.onEvent(event),
        onDown: (reason) => this.onPhoneDown(phone, reason),
        onUp: (regs) => this.applyRegistrations(phone, regs, true),
        log: (level, message, fields) => options.log?.(level, message, fields),
      });
      return phone;
    });
    for (const phone of this.phones) {
      for (const aor of phone.aors) {
        const name = uriUser(aor);
        if (this.lineByName.has(name)) throw new LineProviderError('invalid-state', `two accounts give the line name "${name}"`);
        const line: SipLine = { aor, phone, info: { name, address: name, permanentId: aor, mediaModes: ['audio'], inService: false, controls: SIP_CONTROLS } };
        this.lineByName.set(name, line);
        this.lineByAor.set(aor, line);
      }
    }
  }

  /** The PIDs of the baresip processes this provider started (for tests and `lab`). */
  pids(): number[] {
    return this.phones.map((p) => p.pid).filter((pid): pid is number => pid !== undefined);
  }

  async open(): Promise<readonly LineInfo[]> {
    if (this.phase === 'closed') throw new LineProviderError('provider-down', 'the provider is closed');
    if (this.opened !== undefined) return this.opened;
    this.phase = 'opening';
    this.origin = this.now();
    try {
      const regs = await Promise.all(this.phones.map((p) => p.start()));
      this.phones.forEach((phone, i) => this.applyRegistrations(phone, regs[i] as ReadonlyMap<string, Registration>, false));
    } catch (err) {
      await Promise.all(this.phones.map((p) => p.stop()));
      this.phase = 'closed';
      throw err instanceof LineProviderError ? err : new LineProviderError('provider-down', String(err), { cause: err });
    }
    if (this.phase !== 'opening') throw new LineProviderError('provider-down', 'the provider was closed while opening');
    this.phase = 'open';
    this.opened = this.lines();
    return this.opened;
  }

  lines(): readonly LineInfo[] {
    return [...this.lineByName.values()].map((l) => l.info);
  }

  activeCalls(): readonly CallInfo[] {
    return this.calls.all().map((c) => callInfo(c));
  }

  subscribe(listener: ProviderListener): () => void {
    const entry: ProviderListener = (event) => listener(event);
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  async makeCall(lineName: string, dialString: string): Promise<string> {
    const line = this.requireLine(lineName);
    const target = cleanDialString(dialString);
    if (target === undefined) throw new LineProviderError('invalid-state', `cannot dial "${dialString.slice(0, 40)}": digits, +, *, # or a SIP URI expected`);
    if (!line.info.inService) throw new LineProviderError('invalid-state', `line ${lineName} is out of service`);
    const call: SipCall = { callId: this.calls.newId(), line: lineName, origin: 'outbound', caller: { number: line.info.address }, called: { number: target }, state: 'dialing' };
    this.calls.add(call);
    this.calls.expectDial(lineName, call.callId);
    this.emitCall(call);
    try {
      const response = await line.phone.run(async (command) => {
        await command('uafind', line.aor);
        return command('dial', target);
      });
      if (!response.ok) throw new LineProviderError('invalid-state', `baresip refused to dial: ${response.data.trim().slice(0, 120)}`);
    } catch (err) {
      if (this.calls.get(call.callId) !== undefined && call.bid === undefined) this.end(call, 'unreachable');
      throw err;
    }
    const timeout = this.options.dialLinkTimeoutMs ?? 10_000;
    setTimeout(() => {
      if (this.calls.get(call.callId) !== undefined && call.bid === undefined) this.end(call, 'unreachable');
    }, timeout).unref();
    return call.callId;
  }

  async answer(callId: string): Promise<void> {
    const call = this.requireCall(callId);
    if (call.origin === 'outbound' || (call.state !== 'offering' && call.state !== 'accepted')) {
      throw new LineProviderError('invalid-state', `call ${callId} is ${call.state}; only a ringing incoming call can be answered`);
    }
    await this.onCall(call, 'accept');
  }

  async drop(callId: string): Promise<void> {
    const call = this.requireCall(callId);
    call.ours ??= 'normal';
    if (call.bid === undefined && !(await this.linked(call))) {
      // baresip never named the call: right after `dial` it is the current call of the account.
      const line = this.requireLine(call.line);
      await line.phone.run(async (send) => {
        await send('uafind', line.aor);
        await send('hangup');
      });
      this.end(call, 'normal');
      return;
    }
    await this.onCall(call, 'hangup');
  }

  async reject(callId: string): Promise<void> {
    const call = this.requireCall(callId);
    if (call.origin === 'outbound' || (call.state !== 'offering' && call.state !== 'accepted')) {
      throw new LineProviderError('invalid-state', `call ${callId} is ${call.state}; only a ringing incoming call can be rejected`);
    }
    call.ours = 'rejected';
    await this.onCall(call, 'hangup');
  }

  // hold, unhold and transfer through baresip; consultation and conference refuse (call-control.ts).
  readonly #control = new SipCallControl({
    requireCall: (callId) => this.requireCall(callId),
    requireLine: (name) => this.requireLine(name),
    isActive: (call) => this.calls.get(call.callId) !== undefined,
    emitCall: (call) => this.emitCall(call),
    end: (call, reason) => this.end(call, reason),
    log: (level, message, fields) => this.options.log?.(level, message, fields),
  });
  readonly hold = (callId: string) => this.#control.hold(callId);
  readonly unhold = (callId: string) => this.#control.unhold(callId);
  readonly transfer = (callId: string, dialString: string) => this.#control.transfer(callId, dialString);
  readonly consult = this.#control.consult;
  readonly completeTransfer = this.#control.completeTransfer;
  readonly cancelConsult = this.#control.cancelConsult;
  readonly conference = this.#control.conference;

  async reinitialize(): Promise<void> {
    if (this.phase !== 'open') throw new LineProviderError('provider-down', 'the provider is not open');
    for (const call of this.calls.all()) this.end(call, 'providerRestart');
    await Promise.all(this.phones.map((p) => p.stop()));
    const regs = await Promise.all(this.phones.map((p) => p.start()));
    this.phones.forEach((phone, i) => this.applyRegistrations(phone, regs[i] as ReadonlyMap<string, Registration>, true));
  }

  async close(): Promise<void> {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    await Promise.all(this.phones.map((p) => p.stop()));
  }

  /** Waits a little for baresip to name a call we dialled. */
  private async linked(call: SipCall, ms = 2_000): Promise<boolean> {
    const deadline = this.now() + ms;
    while (call.bid === undefined && this.calls.get(call.callId) !== undefined && this.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return call.bid !== undefined;
  }

  // --- commands on one call -------------------------------------------------

  private async onCall(call: SipCall, command: 'accept' | 'hangup'): Promise<void> {
    await onCall(this.requireLine(call.line), call, command);
  }

  private requireOpen(): void {
    if (this.phase !== 'open') throw new LineProviderError('provider-down', this.phase === 'closed' ? 'the provider is closed' : 'the provider is not open');
  }

  private requireLine(name: string): SipLine {
    this.requireOpen();
    const line = this.lineByName.get(name);
    if (line === undefined) throw new LineProviderError('unknown-line', `no line "${name}"`);
    return line;
  }

  private requireCall(callId: string): SipCall {
    this.requireOpen();
    const call = this.calls.get(callId);
    if (call === undefined) throw new LineProviderError('no-such-call', `no call "${callId}"`);
    return call;
  }

  // --- events from baresip --------------------------------------------------

  private onEvent(event: CtrlEvent): void {
    if (this.phase === 'closed') return;
    const line = event.accountaor === undefined ? undefined : this.lineByAor.get(event.accountaor);
    if (line === undefined) return;
    if (event.class === 'register') return this.onRegister(line, event.type);
    if (event.id === undefined || this.phase !== 'open') return;
    let call = this.calls.byBaresipId(event.id);
    if (call === undefined && event.direction === 'outgoing') call = this.calls.linkDial(line.info.name, event.id) ?? this.adoptOutgoing(line, event);
    if (call === undefined && event.type === 'CALL_INCOMING') call = this.offer(line, event);
    if (call === undefined) return;
    switch (event.type) {
      case 'CALL_RINGING':
        return this.step(call, 'ringback');
      case 'CALL_PROGRESS':
        return this.step(call, 'proceeding');
      case 'CALL_ESTABLISHED':
        return this.step(call, 'connected');
      case 'TRANSFER_FAILED':
        return void this.#control.transferFailed(call, line, event.param);
      case 'CALL_CLOSED':
        return this.end(call, endReason(event.param, { connected: call.state === 'connected', incoming: call.origin !== 'outbound', ours: call.ours }));
      default:
        return;
    }
  }

  private offer(line: SipLine, event: CtrlEvent): SipCall {
    const peer = uriUser(event.peeruri ?? event.param ?? '');
    const call: SipCall = { callId: this.calls.newId(), bid: event.id, line: line.info.name, origin: 'inbound', caller: { number: peer }, called: { number: line.info.address }, state: 'offering' };
    this.calls.add(call);
    this.emitCall(call);
    return call;
  }

  /** A call dialled on the phone itself (not through us): report it like ours. */
  private adoptOutgoing(line: SipLine, event: CtrlEvent): SipCall {
    const call: SipCall = { callId: this.calls.newId(), bid: event.id, line: line.info.name, origin: 'outbound', caller: { number: line.info.address }, called: { number: uriUser(event.peeruri ?? '') }, state: 'dialing' };
    this.calls.add(call);
    this.emitCall(call);
    return call;
  }

  private step(call: SipCall, state: CallState): void {
    if (call.origin !== 'outbound' && state !== 'connected') return;
    if (!advances(call, state)) return;
    call.state = state;
    this.emitCall(call);
  }

  private end(call: SipCall, reason: CallEndReason): void {
    if (this.calls.get(call.callId) === undefined) return;
    this.calls.forget(call);
    call.state = 'disconnected';
    this.emitCall(call, reason);
    call.state = 'idle';
    this.emitCall(call, reason);
  }

  private onRegister(line: SipLine, type: string): void {
    if (type === 'REGISTER_OK') this.setService(line, true);
    else if (type === 'REGISTER_FAIL') this.setService(line, false);
  }

  private applyRegistrations(phone: Phone, regs: ReadonlyMap<string, Registration>, announce: boolean): void {
    for (const aor of phone.aors) {
      const line = this.lineByAor.get(aor);
      if (line === undefined) continue;
      const ok = regs.get(aor) === 'ok';
      if (announce) this.setService(line, ok);
      else line.info = { ...line.info, inService: ok };
    }
  }

  private onPhoneDown(phone: Phone, reason: string): void {
    if (this.phase !== 'open') return;
    this.options.log?.('warn', 'baresip went away; its lines are out of service', { reason, lines: phone.aors.map(uriUser) });
    for (const aor of phone.aors) {
      const line = this.lineByAor.get(aor);
      if (line === undefined) continue;
      for (const call of this.calls.onLine(line.info.name)) this.end(call, 'outOfService');
      this.setService(line, false);
    }
  }

  private setService(line: SipLine, inService: boolean): void {
    if (line.info.inService === inService) return;
    line.info = { ...line.info, inService };
    if (this.phase !== 'open') return;
    this.emit({ type: inService ? 'lineInService' : 'lineOutOfService', at: this.at(), line: line.info.name });
  }

  private emitCall(call: SipCall, reason?: CallEndReason): void {
    this.emit({ type: 'call', at: this.at(), ...callInfo(call, reason === undefined ? {} : { reason }) });
  }

  private at(): number {
    this.lastAt = Math.max(this.lastAt, Math.round(this.now() - this.origin));
    return this.lastAt;
  }

  private emit(event: ProviderEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch {
        // A faulty consumer must not stop the others or the provider.
      }
    }
  }
}
