// The calls of a SIP provider: our own call ids (stable, never reused) linked
// to baresip's ids (the SIP Call-ID). `dial` does not return the id of the
// call it starts, so an outbound call waits in `pendingDials` of its line until
// the next outgoing event of that account names an id we do not know.
import type { CallEndReason, CallInfo, Party } from '../../line-provider.ts';
import type { CallOrigin, CallState } from '../../../protocol/call-state.ts';

export interface SipCall {
  readonly callId: string;
  readonly line: string;
  readonly origin: CallOrigin;
  readonly caller?: Party;
  readonly called?: Party;
  bid?: string;
  state: CallState;
  /** Set when we asked for the end (drop → normal, reject → rejected). */
  ours?: CallEndReason;
}

/** Order of outbound progress: baresip may report progress after ringing; we never step back. */
const OUT_RANK: Partial<Record<CallState, number>> = { dialing: 0, proceeding: 1, ringback: 2, connected: 3 };

export function advances(call: SipCall, next: CallState): boolean {
  if (call.state === next) return false;
  if (next === 'connected') return call.state !== 'disconnected' && call.state !== 'idle';
  const from = OUT_RANK[call.state];
  const to = OUT_RANK[next];
  return from !== undefined && to !== undefined && to > from;
}

export function callInfo(call: SipCall, extra: { reason?: CallEndReason } = {}): CallInfo {
  return {
    callId: call.callId,
    line: call.line,
    state: call.state,
    origin: call.origin,
    ...(call.caller ? { caller: call.caller } : {}),
    ...(call.called ? { called: call.called } : {}),
    ...(extra.reason ? { reason: extra.reason } : {}),
  };
}

export class CallTable {
  private readonly byId = new Map<string, SipCall>();
  private readonly byBid = new Map<string, string>();
  private readonly pending = new Map<string, string[]>();
  private seq = 0;

  constructor(private readonly prefix: string) {}

  newId(): string {
    this.seq += 1;
    return `${this.prefix}${this.seq}`;
  }

  add(call: SipCall): void {
    this.byId.set(call.callId, call);
    if (call.bid !== undefined) this.byBid.set(call.bid, call.callId);
  }

  get(callId: string): SipCall | undefined {
    return this.byId.get(callId);
  }

  byBaresipId(bid: string): SipCall | undefined {
    const id = this.byBid.get(bid);
    return id === undefined ? undefined : this.byId.get(id);
  }

  expectDial(line: string, callId: string): void {
    const queue = this.pending.get(line) ?? [];
    queue.push(callId);
    this.pending.set(line, queue);
  }

  /** Links the oldest dial of `line` still without an id to `bid`. */
  linkDial(line: string, bid: string): SipCall | undefined {
    const queue = this.pending.get(line);
    const callId = queue?.shift();
    if (callId === undefined) return undefined;
    const call = this.byId.get(callId);
    if (call === undefined) return undefined;
    call.bid = bid;
    this.byBid.set(bid, callId);
    return call;
  }

  forget(call: SipCall): void {
    this.byId.delete(call.callId);
    if (call.bid !== undefined) this.byBid.delete(call.bid);
    const queue = this.pending.get(call.line);
    if (queue !== undefined) this.pending.set(call.line, queue.filter((id) => id !== call.callId));
  }

  onLine(line: string): SipCall[] {
    return [...this.byId.values()].filter((c) => c.line === line);
  }

  all(): SipCall[] {
    return [...this.byId.values()];
  }
}
