// The tapi provider's call table: TAPI call handles (hCall) become the
// provider's call ids, LINE_CALLSTATE / LINE_CALLINFO become `call` events.
// Driver quirks handled here: one call under two handles (related call ids,
// also before the second handle is seen), caller id arriving after the first
// state (LINECALLINFOSTATE_CALLERID re-reports the state with it), a call first
// seen mid-way (a start state is reported before it), idle without disconnected.
import type { CallEndReason, CallInfo, Party } from '../../line-provider.ts';
import type { CallOrigin, CallState } from '../../../protocol/call-state.ts';
import type { TapiCallInfo, TapiPartyId } from './binding.ts';
import { endReasonOf, originOf } from './mapping.ts';
import { LINECALLORIGIN } from './tapi-constants.ts';

export interface CallEntry {
  readonly id: string;
  /** The handle the call is controlled by; a conference moves the primary call onto the conference call's handle. */
  hCall: number;
  line: string;
  /** Set by lineMakeCall's reply: this line placed the call. */
  placedHere: boolean;
  tapiCallId?: number;
  state?: CallState;
  info?: CallInfo;
  /** The LINECALLSTATE_* value last reported (a TAPI state the protocol folds into another is not reported twice). */
  tapiState?: number;
  /** On a consultation call: the id of the primary call it was set up from (lineSetupTransfer). */
  consultationOf?: string;
  /** On a primary call: its consultation call while that lives. */
  consultation?: CallEntry;
  /** lineCompleteTransfer (transfer mode) was asked for: the call's end is reported with reason `transferred`. */
  passedOn?: boolean;
}

function party(id: TapiPartyId): Party | undefined {
  if (id.number === '' && id.name === '') return undefined;
  return id.name === '' ? { number: id.number } : { number: id.number, name: id.name };
}

const MAX_REMEMBERED = 4096;

export class CallTable {
  private readonly byHandle = new Map<number, CallEntry>();
  private readonly byId = new Map<string, CallEntry>();
  private readonly retiredHandles = new Set<number>();
  /**
   * Provider ids of TAPI call ids (dwCallID): of calls seen, and promised to
   * calls named as related before their own handle appeared. Kept after a call
   * goes idle, because its partner may still name it; bounded, oldest first out.
   */
  private readonly reserved = new Map<number, { readonly id: string; claimed: boolean }>();
  private counter = 0;

  constructor(private readonly prefix: string) {}

  handle(hCall: number): CallEntry | undefined {
    return this.byHandle.get(hCall);
  }

  byCallId(id: string): CallEntry | undefined {
    return this.byId.get(id);
  }

  /** The entry of a handle, created on first sight (LINE_APPNEWCALL, a lineMakeCall reply, or a first LINE_CALLSTATE). */
  ensure(hCall: number, line: string): CallEntry {
    const known = this.byHandle.get(hCall);
    if (known !== undefined) return known;
    const entry: CallEntry = { id: this.nextId(), hCall, line, placedHere: false };
    this.byHandle.set(hCall, entry);
    this.byId.set(entry.id, entry);
    return entry;
  }

  forget(entry: CallEntry): void {
    this.byHandle.delete(entry.hCall);
    this.byId.delete(entry.id);
    const primary = entry.consultationOf === undefined ? undefined : this.byId.get(entry.consultationOf);
    if (primary?.consultation === entry) primary.consultation = undefined;
  }

  /**
   * The call has ended for the provider's consumers but TAPI's handle lives on
   * (a party of a conference, CONFERENCED until the conference ends): its
   * messages are ignored until IDLE, when it is deallocated.
   */
  retire(entry: CallEntry): void {
    this.forget(entry);
    this.retiredHandles.add(entry.hCall);
  }

  isRetired(hCall: number): boolean {
    return this.retiredHandles.has(hCall);
  }

  release(hCall: number): void {
    this.retiredHandles.delete(hCall);
  }

  /** The call continues on another handle (lineCompleteTransfer's conference call); its old handle is retired. */
  rehome(entry: CallEntry, hCall: number): void {
    if (entry.hCall === hCall) return;
    this.byHandle.delete(entry.hCall);
    this.retiredHandles.add(entry.hCall);
    entry.hCall = hCall;
    entry.tapiState = undefined;
    this.byHandle.set(hCall, entry);
  }

  active(): CallInfo[] {
    const result: CallInfo[] = [];
    for (const entry of this.byHandle.values()) if (entry.info !== undefined && entry.state !== 'idle') result.push(entry.info);
    return result;
  }

  entries(): CallEntry[] {
    return [...this.byHandle.values()];
  }

  clear(): void {
    this.byHandle.clear();
    this.byId.clear();
    this.retiredHandles.clear();
    this.reserved.clear();
  }

  /**
   * The call's new report for `state` (undefined: keep the state) with details
   * from `tapi` (undefined: the driver could not read them; keep the last).
   */
  report(entry: CallEntry, state: CallState, tapi: TapiCallInfo | undefined, mode: number | undefined, ended?: CallEndReason): CallInfo {
    if (tapi !== undefined) this.adopt(entry, tapi.callId);
    const previous = entry.info;
    // A conference call (LINECALLORIGIN_CONFERENCE) carries on the primary call, which keeps its origin.
    const keep = tapi === undefined || (previous !== undefined && (tapi.origin & LINECALLORIGIN.LINECALLORIGIN_CONFERENCE) !== 0);
    const origin: CallOrigin = keep ? (previous?.origin ?? (entry.placedHere ? 'outbound' : 'inbound')) : originOf(tapi.origin, entry.placedHere);
    let reason: CallEndReason | undefined = previous?.reason;
    if (state === 'disconnected' && mode !== undefined) reason = endReasonOf(mode) ?? reason;
    if (ended !== undefined) reason = ended;
    const related = tapi !== undefined && tapi.relatedCallId !== 0 ? this.idFor(tapi.relatedCallId) : previous?.relatedCallId;
    const parties = tapi === undefined ? pick(previous) : parse(tapi);
    const info: CallInfo = {
      callId: entry.id,
      ...(related === undefined ? {} : { relatedCallId: related }),
      line: entry.line,
      state,
      origin,
      ...parties,
      ...(entry.consultationOf === undefined ? {} : { consultationOf: entry.consultationOf }),
      ...(reason === undefined ? {} : { reason }),
    };
    entry.state = state;
    entry.info = info;
    return info;
  }

  private adopt(entry: CallEntry, tapiCallId: number): void {
    if (tapiCallId === 0 || entry.tapiCallId === tapiCallId) return;
    entry.tapiCallId = tapiCallId;
    this.remember(tapiCallId, entry.id, true);
  }

  private remember(tapiCallId: number, id: string, claimed: boolean): void {
    const known = this.reserved.get(tapiCallId);
    if (known !== undefined) {
      known.claimed ||= claimed;
      return;
    }
    this.reserved.set(tapiCallId, { id, claimed });
    if (this.reserved.size > MAX_REMEMBERED) this.reserved.delete(this.reserved.keys().next().value as number);
  }

  /** The provider id of the call TAPI knows as `tapiCallId`, reserving one when that call has not been seen yet. */
  private idFor(tapiCallId: number): string {
    for (const entry of this.byHandle.values()) if (entry.tapiCallId === tapiCallId) return entry.id;
    const known = this.reserved.get(tapiCallId);
    if (known !== undefined) return known.id;
    const id = this.nextId();
    this.remember(tapiCallId, id, false);
    return id;
  }

  /** A handle whose first details name a reserved TAPI call id takes the id promised to it. */
  claim(hCall: number, line: string, tapiCallId: number | undefined): CallEntry {
    const known = this.byHandle.get(hCall);
    if (known !== undefined) return known;
    const promised = tapiCallId === undefined ? undefined : this.reserved.get(tapiCallId);
    // A promised id is taken once: ids are never reused, even when a driver shows one TAPI call id on a new handle.
    if (promised === undefined || promised.claimed) return this.ensure(hCall, line);
    promised.claimed = true;
    const entry: CallEntry = { id: promised.id, hCall, line, placedHere: false, tapiCallId };
    this.byHandle.set(hCall, entry);
    this.byId.set(promised.id, entry);
    return entry;
  }

  private nextId(): string {
    return `${this.prefix}${++this.counter}`;
  }
}

type Parties = Pick<CallInfo, 'caller' | 'called' | 'connected' | 'redirecting'>;

function parse(tapi: TapiCallInfo): Parties {
  const caller = party(tapi.caller);
  const called = party(tapi.called);
  const connected = party(tapi.connected);
  const redirecting = party(tapi.redirecting);
  return {
    ...(caller === undefined ? {} : { caller }),
    ...(called === undefined ? {} : { called }),
    ...(connected === undefined ? {} : { connected }),
    ...(redirecting === undefined ? {} : { redirecting }),
  };
}

function pick(info: CallInfo | undefined): Parties {
  if (info === undefined) return {};
  return {
    ...(info.caller === undefined ? {} : { caller: info.caller }),
    ...(info.called === undefined ? {} : { called: info.called }),
    ...(info.connected === undefined ? {} : { connected: info.connected }),
    ...(info.redirecting === undefined ? {} : { redirecting: info.redirecting }),
  };
}

/** Whether two reports differ in anything a consumer sees (LINE_CALLINFO re-reports only then). */
export function sameReport(a: CallInfo | undefined, b: CallInfo): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
