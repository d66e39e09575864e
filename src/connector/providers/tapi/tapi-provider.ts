// The `tapi` line provider: the LineProvider interface on Windows TAPI 2.x
// through the native addon (native/). On Linux the addon is built against the
// fake TSP (native/fake), which the simulated PBX drives in tests.
import { performance } from 'node:perf_hooks';
import { LineProviderError } from '../../line-provider.ts';
import type { CallInfo, LineInfo, LineProvider, ProviderEvent, ProviderListener } from '../../line-provider.ts';
import type { TapiBinding, TapiMessage, TapiSession } from './binding.ts';
import { loadTapiBinding } from './binding.ts';
import { tapiCallControl } from './call-control.ts';
import { CallTable } from './calls.ts';
import { API_HIGH, openDevice } from './lines.ts';
import { onCapsChange, onClose, onDevState } from './line-messages.ts';
import type { LineMessageHost } from './line-messages.ts';
import type { LineEntry, TapiTrace } from './lines.ts';
import { TapiRequests } from './requests.ts';
import type { CallEntry } from './calls.ts';
import { lineErrorName, providerCodeOf } from './mapping.ts';
import { endCalls, onCallInfo, onCallState } from './call-messages.ts';
import type { CallMessageHost } from './call-messages.ts';
import { LINE_MESSAGE, LINEADDRESSSTATE, LINEERR } from './tapi-constants.ts';
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
    endCalls(this.#callHost, );
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

  /** What the call messages (call-messages.ts) need of the provider. */
  readonly #callHost: CallMessageHost = {
    calls: () => this.calls,
    lineOf: (message) => this.announced.get(message.hDevice) ?? this.lineOfDevice(message.info?.lineDeviceId) ?? this.devices.get(message.instance)?.info.name,
    claimed: (hCall) => void this.announced.delete(hCall),
    emitCall: (info) => this.emitCall(info),
    deallocate: (entry) => this.deallocate(entry),
    release: (hCall) => this.release(hCall),
    trace: (record) => this.trace(record),
  };

  /** What the line messages (line-messages.ts) need of the provider. */
  readonly #lineHost: LineMessageHost = {
    devices: () => this.devices.values(),
    line: (device) => this.devices.get(device),
    session: () => this.session,
    down: (set) => {
      if (set !== undefined) this.down = set;
      return this.down;
    },
    endCalls: (line) => endCalls(this.#callHost, line, 'outOfService'),
    at: () => this.at(),
    emit: (event) => this.emit(event),
    trace: (record) => this.trace(record),
  };

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
        return onCallState(this.#callHost, message);
      case M.LINE_CALLINFO:
        return onCallInfo(this.#callHost, message);
      case M.LINE_LINEDEVSTATE:
        return onDevState(this.#lineHost, message);
      case M.LINE_ADDRESSSTATE:
        if ((message.param2 & LINEADDRESSSTATE.LINEADDRESSSTATE_CAPSCHANGE) !== 0) onCapsChange(this.#lineHost, this.devices.get(message.instance));
        return;
      case M.LINE_CREATE: {
        const entry = this.addDevice(message.param1);
        if (entry !== undefined) this.emit({ type: 'lineAdded', at: this.at(), line: entry.info });
        return;
      }
      case M.LINE_REMOVE:
        return this.onRemove(message.param1);
      case M.LINE_CLOSE:
        return onClose(this.#lineHost, message.hDevice);
      default:
        return;
    }
  }

  private onReply(message: TapiMessage): void {
    const result = this.requests.reply(message);
    if (result !== undefined && result !== 0) this.reinitIfAsked(result);
  }

  private onRemove(device: number): void {
    const line = this.devices.get(device);
    if (line === undefined) return;
    endCalls(this.#callHost, line.info.name, 'outOfService');
    this.devices.delete(device);
    this.names.delete(line.info.name);
    this.emit({ type: 'lineRemoved', at: this.at(), line: line.info.name });
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
