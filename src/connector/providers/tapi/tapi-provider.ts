// The `tapi` line provider: the LineProvider interface on Windows TAPI 2.x
// through the native addon (native/). On Linux the addon is built against the
// fake TSP (native/fake), which the simulated PBX drives in tests.
import { performance } from 'node:perf_hooks';
import { LineProviderError } from '../../line-provider.ts';
import type { CallControl, CallInfo, LineInfo, LineProvider, ProviderEvent, ProviderListener } from '../../line-provider.ts';
import type { TapiBinding, TapiMessage, TapiSession } from './binding.ts';
import { loadTapiBinding } from './binding.ts';
import { tapiCallControl } from './call-control.ts';
import { CallTable, sameReport } from './calls.ts';
import { API_HIGH, openDevice, readControls } from './lines.ts';
import type { LineEntry, TapiTrace } from './lines.ts';
import { TapiRequests } from './requests.ts';
import type { CallEntry } from './calls.ts';
import { callStateOf, lineErrorName, providerCodeOf } from './mapping.ts';
import { LINE_MESSAGE, LINEADDRESSSTATE, LINECALLSTATE, LINEDEVSTATE, LINEDISCONNECTMODE, LINEERR } from './tapi-constants.ts';
import { callIdSession } from '../call-id-session.ts';

export { API_HIGH, API_LOW } from './lines.ts';
export type { TapiTrace } from './lines.ts';

export interface TapiProviderOptions {
  /** The addon; default: loaded with node-gyp-build from native/. */
  readonly binding?: TapiBinding;
  /** The friendly name TAPI shows for this application. */
  readonly appName?: string;
  /** The manual's IncludeMediaTypeVideo: open lines for video calls too. */
  readonly includeVideo?: boolean;
  /** How long a request (lineMakeCall, lineAnswer, lineDrop) may wait for its LINE_REPLY. */
  readonly requestTimeoutMs?: number;
  /** Monotonic milliseconds; `at` of events counts from open(). */
  readonly now?: () => number;
  /**
   * The token in call ids that keeps them distinct across provider starts (call-id-session.ts);
   * a fresh one per start unless given. The session recorder passes `''` (ids `t<generation>-<n>`)
   * so that recordings of the same scenario are byte-identical.
   */
  readonly callIdSession?: string;
  /** Every TAPI message and request, for the connector's trace at LogLevel 6. */
  readonly trace?: (record: TapiTrace) => void;
}

export class TapiLineProvider implements LineProvider {
  readonly kind = 'tapi';
  private phase: 'new' | 'open' | 'closed' = 'new';
  private readonly listeners = new Set<ProviderListener>();
  private session: TapiSession | undefined;
  private generation = 0;
  private readonly devices = new Map<number, LineEntry>();
  private readonly names = new Map<string, LineEntry>();
  /** Distinct per provider start, so call ids never repeat across connector restarts (call-id-session.ts). */
  private readonly callIds: string;
  private calls: CallTable;
  /** Lines of handles announced by LINE_APPNEWCALL whose first LINE_CALLSTATE is still to come. */
  private readonly announced = new Map<number, string>();
  private readonly requests: TapiRequests;
  private down = false;
  /** LINEERR_REINIT asks for re-initialisation once per session, however many requests it refuses. */
  private reinitAsked = false;
  private openedAt = 0;
  private handled = 0;
  private readonly now: () => number;

  constructor(private readonly options: TapiProviderOptions = {}) {
    this.now = options.now ?? (() => performance.now());
    this.callIds = options.callIdSession ?? callIdSession();
    this.calls = new CallTable(this.callIdPrefix(1));
    this.requests = new TapiRequests(options.requestTimeoutMs ?? 10_000);
  }

  private callIdPrefix(generation: number): string {
    return this.callIds === '' ? `t${generation}-` : `t${this.callIds}.${generation}-`;
  }

  /** Messages of the current session this provider has handled (tests wait for the fake TSP's queue with it). */
  messagesHandled(): number {
    return this.handled;
  }

  async open(): Promise<readonly LineInfo[]> {
    if (this.phase === 'open') return this.lines();
    if (this.phase === 'closed') throw new LineProviderError('provider-down', 'the provider is closed');
    this.openedAt = this.now();
    this.start();
    this.phase = 'open';
    return this.lines();
  }

  lines(): readonly LineInfo[] {
    return this.phase === 'open' ? [...this.devices.values()].map((l) => l.info) : [];
  }

  activeCalls(): readonly CallInfo[] {
    return this.phase === 'open' ? this.calls.active() : [];
  }

  subscribe(listener: ProviderListener): () => void {
    const entry: ProviderListener = (event) => listener(event);
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  async makeCall(line: string, dialString: string): Promise<string> {
    const session = this.ready();
    const entry = this.names.get(line);
    if (entry === undefined) throw new LineProviderError('unknown-line', `no line ${line.slice(0, 40)} on this TAPI driver`);
    if (!entry.info.inService || entry.closed) throw new LineProviderError('invalid-state', `line ${line} is out of service`);
    if (dialString.trim() === '') throw new LineProviderError('invalid-state', 'cannot dial an empty number');
    const reply = await this.request('lineMakeCallW', () => session.makeCall(entry.hLine, dialString));
    const hCall = reply.hCall ?? 0;
    if (hCall === 0) throw new LineProviderError('provider-down', 'lineMakeCallW succeeded without a call handle');
    const call = this.calls.ensure(hCall, line);
    call.placedHere = true;
    return call.id;
  }

  async answer(callId: string): Promise<void> {
    const session = this.ready();
    const call = this.call(callId);
    if (call.state !== 'offering' && call.state !== 'accepted') throw new LineProviderError('invalid-state', `call ${callId} is ${call.state ?? 'new'}, not ringing`);
    await this.request('lineAnswer', () => session.answer(call.hCall));
  }

  async drop(callId: string): Promise<void> {
    const session = this.ready();
    const call = this.call(callId);
    await this.request('lineDrop', () => session.drop(call.hCall));
  }

  async reject(callId: string): Promise<void> {
    const session = this.ready();
    const call = this.call(callId);
    if (call.state !== 'offering' && call.state !== 'accepted') {
      throw new LineProviderError('invalid-state', `call ${callId} is ${call.state ?? 'new'}, only a ringing call can be rejected`);
    }
    // TAPI has no "reject": dropping an offered call refuses it (the switch plays busy or diverts).
    await this.request('lineDrop', () => session.drop(call.hCall));
  }

  // Call control where the line's caps offer it (call-control.ts).
  readonly #control = tapiCallControl({
    ready: () => this.ready(),
    call: (callId) => this.call(callId),
    lines: () => this.lines(),
    request: (what, send, onSuccess) => this.request(what, send, onSuccess),
    adopt: (hCall, line) => this.calls.ensure(hCall, line),
    rehome: (entry, hCall) => this.calls.rehome(entry, hCall),
  });
  readonly hold = this.#control.hold;
  readonly unhold = this.#control.unhold;
  readonly transfer = this.#control.transfer;
  readonly consult = this.#control.consult;
  readonly completeTransfer = this.#control.completeTransfer;
  readonly cancelConsult = this.#control.cancelConsult;
  readonly conference = this.#control.conference;

  async reinitialize(): Promise<void> {
    this.ready();
    const before = new Map([...this.devices.values()].map((l) => [l.info.name, l.info]));
    this.endCalls();
    this.stop('re-initialising');
    this.start();
    for (const [name] of before) if (!this.names.has(name)) this.emit({ type: 'lineRemoved', at: this.at(), line: name });
    for (const entry of this.devices.values()) if (!before.has(entry.info.name)) this.emit({ type: 'lineAdded', at: this.at(), line: entry.info });
    if (this.down) {
      this.down = false;
      this.emit({ type: 'providerUp', at: this.at() });
    }
  }

  async close(): Promise<void> {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.stop('the provider is closed');
  }

  // ---- session ----------------------------------------------------------------

  private start(): void {
    const binding = this.options.binding ?? loadTapiBinding();
    const generation = ++this.generation;
    this.calls = new CallTable(this.callIdPrefix(generation));
    this.handled = 0;
    this.reinitAsked = false;
    try {
      this.session = new binding.Session(this.options.appName ?? 'crm-tapi', API_HIGH, (message) => this.onMessage(generation, message));
    } catch (err) {
      throw this.failure(err, 'lineInitializeExW');
    }
    const count = this.session.numDevs();
    for (let device = 0; device < count; device++) this.addDevice(device);
  }

  private stop(reason: string): void {
    this.requests.failAll(reason);
    this.session?.shutdown();
    this.session = undefined;
    this.devices.clear();
    this.names.clear();
    this.announced.clear();
    this.calls.clear();
  }

  // ---- messages ----------------------------------------------------------------

  private onMessage(generation: number, message: TapiMessage): void {
    // A message of a session already shut down (re-initialisation, close) describes handles that are gone.
    if (generation !== this.generation || this.phase === 'closed') return;
    this.handled++;
    this.trace({ what: 'message', ...message });
    const M = LINE_MESSAGE;
    switch (message.message) {
      case M.LINE_REPLY:
        return this.onReply(message);
      case M.LINE_APPNEWCALL: {
        const line = this.devices.get(message.instance);
        if (line !== undefined) this.announced.set(message.param2, line.info.name);
        return;
      }
      case M.LINE_CALLSTATE:
        return this.onCallState(message);
      case M.LINE_CALLINFO:
        return this.onCallInfo(message);
      case M.LINE_LINEDEVSTATE:
        return this.onDevState(message);
      case M.LINE_ADDRESSSTATE:
        if ((message.param2 & LINEADDRESSSTATE.LINEADDRESSSTATE_CAPSCHANGE) !== 0) this.onCapsChange(this.devices.get(message.instance));
        return;
      case M.LINE_CREATE: {
        const entry = this.addDevice(message.param1);
        if (entry !== undefined) this.emit({ type: 'lineAdded', at: this.at(), line: entry.info });
        return;
      }
      case M.LINE_REMOVE:
        return this.onRemove(message.param1);
      case M.LINE_CLOSE:
        return this.onClose(message.hDevice);
      default:
        return;
    }
  }

  private onReply(message: TapiMessage): void {
    const result = this.requests.reply(message);
    if (result !== undefined && result !== 0) this.reinitIfAsked(result);
  }

  private onCallState(message: TapiMessage): void {
    const state = callStateOf(message.param1);
    const hCall = message.hDevice;
    // A handle whose call has ended for our consumers (a conference's party): deallocated once TAPI lets it go.
    if (this.calls.isRetired(hCall)) {
      if (state === 'idle') this.release(hCall);
      return;
    }
    const line = this.announced.get(hCall) ?? this.lineOfDevice(message.info?.lineDeviceId) ?? this.devices.get(message.instance)?.info.name;
    if (state === undefined || line === undefined) {
      this.trace({ what: 'call state ignored', hCall, state: message.param1 });
      return;
    }
    this.announced.delete(hCall);
    const entry = this.calls.claim(hCall, line, message.info?.callId);
    // A call first seen mid-way (a handle handed over by the driver): report a start state before it.
    if (entry.state === undefined && state !== 'offering' && state !== 'dialtone' && state !== 'dialing' && state !== 'idle') {
      const outbound = entry.placedHere || message.info === undefined ? entry.placedHere : (message.info.origin & 1) !== 0;
      this.emitCall(this.calls.report(entry, outbound ? 'dialing' : 'offering', message.info, undefined));
    }
    if (entry.state === undefined && state === 'idle') {
      this.deallocate(entry);
      return;
    }
    if (message.param1 === LINECALLSTATE.LINECALLSTATE_CONFERENCED && entry.consultationOf !== undefined) return this.joinedConference(entry, message);
    const F = LINEDISCONNECTMODE.LINEDISCONNECTMODE_FORWARDED;
    // A completed transfer: drivers report IDLE (MSDN), some DISCONNECTED first with a mode of their own.
    if (entry.passedOn === true && state === 'idle' && entry.state !== 'disconnected') this.emitCall(this.calls.report(entry, 'disconnected', message.info, F));
    const before = entry.info;
    const info = this.calls.report(entry, state, message.info, entry.passedOn === true ? F : message.param2);
    const folded = entry.tapiState !== undefined && entry.tapiState !== message.param1 && sameReport(before, info);
    entry.tapiState = message.param1;
    // ONHOLDPENDTRANSFER → ONHOLD, or a conference call taking over a connected call, is no news to our consumers.
    if (!folded) this.emitCall(info);
    if (state === 'idle') this.deallocate(entry);
  }

  /** A consultation joined its primary call in a conference: it ends for our consumers; TAPI keeps it CONFERENCED until the conference ends. */
  private joinedConference(entry: CallEntry, message: TapiMessage): void {
    if (entry.state !== 'disconnected') this.emitCall(this.calls.report(entry, 'disconnected', message.info, undefined, 'conferenced'));
    this.emitCall(this.calls.report(entry, 'idle', message.info, undefined, 'conferenced'));
    this.calls.retire(entry);
  }

  /** The line's address caps changed (LINEDEVSTATE_CAPSCHANGE, LINEADDRESSSTATE_CAPSCHANGE): its controls are read again. */
  private onCapsChange(line: LineEntry | undefined): void {
    if (line === undefined || line.closed || this.session === undefined) return;
    let controls: CallControl[];
    try {
      controls = readControls(this.session, line.device, line.api);
    } catch (err) {
      this.trace({ what: 'address caps not read', device: line.device, error: err instanceof Error ? err.message : String(err) });
      return;
    }
    if ((line.info.controls ?? []).join() === controls.join()) return;
    line.info = { ...line.info, controls };
    this.trace({ what: 'line caps changed', line: line.info.name, controls });
    // The line is announced again with its new controls; the connector tells the manager, which re-welcomes its users.
    this.emit({ type: 'lineAdded', at: this.at(), line: line.info });
  }

  private onCallInfo(message: TapiMessage): void {
    const entry = this.calls.handle(message.hDevice);
    if (entry?.state === undefined || message.info === undefined) return;
    const before = entry.info;
    const info = this.calls.report(entry, entry.state, message.info, undefined);
    // Caller id often arrives after the first state (LINECALLINFOSTATE_CALLERID): re-report the state with it.
    if (!sameReport(before, info)) this.emitCall(info);
  }

  private onDevState(message: TapiMessage): void {
    const D = LINEDEVSTATE;
    const bits = message.param1;
    const line = this.devices.get(message.instance);
    if ((bits & D.LINEDEVSTATE_CAPSCHANGE) !== 0) this.onCapsChange(line);
    if ((bits & D.LINEDEVSTATE_REINIT) !== 0) {
      this.emit({ type: 'reinitRequired', at: this.at(), reason: 'the TAPI driver asks for re-initialisation (LINEDEVSTATE_REINIT)' });
      return;
    }
    if ((bits & D.LINEDEVSTATE_DISCONNECTED) !== 0 && !this.down) {
      this.down = true;
      this.emit({ type: 'providerDown', at: this.at(), reason: 'the TAPI driver lost the phone system (LINEDEVSTATE_DISCONNECTED)' });
    }
    if ((bits & D.LINEDEVSTATE_CONNECTED) !== 0 && this.down) {
      this.down = false;
      this.emit({ type: 'providerUp', at: this.at() });
    }
    if (line === undefined) return;
    if ((bits & D.LINEDEVSTATE_OUTOFSERVICE) !== 0 && line.info.inService) {
      line.info = { ...line.info, inService: false };
      this.emit({ type: 'lineOutOfService', at: this.at(), line: line.info.name });
    }
    if ((bits & D.LINEDEVSTATE_INSERVICE) !== 0 && !line.info.inService) {
      line.info = { ...line.info, inService: true };
      this.emit({ type: 'lineInService', at: this.at(), line: line.info.name });
    }
  }

  private onRemove(device: number): void {
    const line = this.devices.get(device);
    if (line === undefined) return;
    this.endCalls(line.info.name, 'outOfService');
    this.devices.delete(device);
    this.names.delete(line.info.name);
    this.emit({ type: 'lineRemoved', at: this.at(), line: line.info.name });
  }

  /** LINE_CLOSE: the driver closed a line on its own; when it closed them all, the application must re-initialise. */
  private onClose(hLine: number): void {
    const line = [...this.devices.values()].find((l) => l.hLine === hLine);
    if (line === undefined || line.closed) return;
    line.closed = true;
    this.endCalls(line.info.name, 'outOfService');
    if (line.info.inService) {
      line.info = { ...line.info, inService: false };
      this.emit({ type: 'lineOutOfService', at: this.at(), line: line.info.name });
    }
    if ([...this.devices.values()].every((l) => l.closed)) {
      this.emit({ type: 'reinitRequired', at: this.at(), reason: 'the TAPI driver closed every line (LINE_CLOSE)' });
    }
  }

  // ---- helpers -----------------------------------------------------------------

  private addDevice(device: number): LineEntry | undefined {
    const entry = openDevice(this.session as TapiSession, device, this.options.includeVideo === true, this.names, (record) => this.trace(record));
    if (entry === undefined) return undefined;
    this.devices.set(device, entry);
    this.names.set(entry.info.name, entry);
    return entry;
  }

  private lineOfDevice(device: number | undefined): string | undefined {
    return device === undefined ? undefined : this.devices.get(device)?.info.name;
  }

  /** Ends calls TAPI will not report any more (a removed or closed line, a re-initialisation) with disconnected and idle. */
  private endCalls(line?: string, reason: 'outOfService' | 'providerRestart' = 'providerRestart'): void {
    for (const entry of this.calls.entries()) {
      if (entry.info === undefined || (line !== undefined && entry.line !== line)) continue;
      if (entry.state !== 'disconnected') this.emitCall({ ...entry.info, state: 'disconnected', reason });
      this.emitCall({ ...entry.info, state: 'idle', reason: entry.state === 'disconnected' ? (entry.info.reason ?? reason) : reason });
      entry.state = 'idle';
      this.deallocate(entry);
    }
  }

  private deallocate(entry: CallEntry): void {
    this.calls.forget(entry);
    this.release(entry.hCall);
  }

  private release(hCall: number): void {
    this.calls.release(hCall);
    try {
      this.session?.deallocate(hCall);
    } catch (err) {
      this.trace({ what: 'lineDeallocateCall failed', hCall, error: err instanceof Error ? err.message : String(err) });
    }
  }

  private ready(): TapiSession {
    if (this.phase !== 'open' || this.session === undefined) {
      throw new LineProviderError('provider-down', this.phase === 'closed' ? 'the provider is closed' : 'the provider is not open; call open() first');
    }
    if (this.down) throw new LineProviderError('provider-down', 'the TAPI driver has lost the phone system');
    return this.session;
  }

  private call(callId: string): CallEntry {
    const entry = this.calls.byCallId(callId);
    if (entry?.state === undefined || entry.state === 'idle') throw new LineProviderError('no-such-call', `no call ${callId.slice(0, 40)} (never existed or already idle)`);
    return entry;
  }

  /** Sends an asynchronous request and waits for its LINE_REPLY. */
  private request(what: string, send: () => number, onSuccess?: (reply: TapiMessage) => void): Promise<TapiMessage> {
    let id: number;
    try {
      id = send();
    } catch (err) {
      return Promise.reject(this.failure(err, what));
    }
    this.trace({ what: 'request', function: what, requestId: id });
    return this.requests.await(id, what, onSuccess);
  }

  /** A function answered LINEERR_REINIT: TAPI refuses requests until the application re-initialises. */
  private reinitIfAsked(result: number): void {
    if ((result | 0) !== LINEERR.LINEERR_REINIT || this.reinitAsked || this.phase !== 'open') return;
    this.reinitAsked = true;
    this.emit({ type: 'reinitRequired', at: this.at(), reason: 'a TAPI request was refused with LINEERR_REINIT' });
  }

  private failure(err: unknown, what: string): LineProviderError {
    const result = (err as { tapiResult?: unknown }).tapiResult;
    if (typeof result !== 'number') return err instanceof LineProviderError ? err : new LineProviderError('provider-down', `${what}: ${String(err)}`, { cause: err });
    this.reinitIfAsked(result);
    return new LineProviderError(providerCodeOf(result), `${what} failed: ${lineErrorName(result)}`, { cause: err });
  }

  private at(): number {
    return Math.max(0, this.now() - this.openedAt);
  }

  private emitCall(info: CallInfo): void {
    this.emit({ type: 'call', at: this.at(), ...info });
  }

  private emit(event: ProviderEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // Isolated by contract: one consumer's bug must not starve the others.
      }
    }
  }

  private trace(record: TapiTrace): void {
    this.options.trace?.(record);
  }
}
