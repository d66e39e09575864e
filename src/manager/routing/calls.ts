// The manager's view of each call, built from the connector's call-state
// events: who is on the other end, when it started, connected and ended, who
// dialled or answered it, and which users were shown it. One record per call
// key; a driver that reports one call under two ids (relatedCallId naming a
// call already tracked on the same line) is folded into the first.
import type { CallEndReason, CallOrigin, CallState } from '../../protocol/index.ts';
import { elapsed, type MonoMs } from '../clock.ts';
import type { LineName, RoutedCallEvent } from '../contracts.ts';

export interface TrackedCall {
  callKey: string;
  line: LineName;
  connectorHost: string;
  callId: string;
  origin: CallOrigin;
  /** True when this line was called (it rang), false when it placed the call. */
  incoming: boolean;
  /** The other party's number exactly as the PBX sent it (may be empty: anonymous). */
  number: string;
  state: CallState;
  startedAt: string;
  connectedAt?: string;
  endedAt?: string;
  reason?: CallEndReason;
  /** User who asked for this call with `dial` (outbound). */
  dialedBy?: string;
  /** User who pressed "answer" on this call (`callControl`). */
  answerIntent?: string;
  /** User known to have answered; undefined when nobody did or it is not known who. */
  answeredBy?: string;
  /** Another line took the call (hunt group, pickup): not missed here. */
  answeredElsewhere: boolean;
  /** Users shown the call at least once while one of their clients was online. */
  seenBy: Set<string>;
  /** Every user entitled to the line while the call lasted. */
  entitled: Set<string>;
  /** Connection addressed per user: one popup per user and call. */
  targets: Map<string, string>;
  /** Monotonic: when the manager last heard of the call (the silence sweep compares it). */
  lastEventAt: MonoMs;
  /** Connector timestamp of the latest event. */
  lastTimestamp: string;
  /** The seq of the latest snapshot that showed this call: events up to it are history the snapshot already reflects. */
  snapshotSeq?: number;
  /** 1.1: the key of the held call this call is a consultation of (same line). */
  consultationOf?: string;
  /** Where the agent transferred the call (a dial string or the consulted number), for the records. */
  transferredTo?: string;
  /** What clients were last shown of this call (state and number): the same again is no news. */
  shown?: string;
}

/** What one event meant for its call. */
export interface Applied {
  call: TrackedCall;
  /**
   * False for history: an event a reconnected connector replays that is not
   * newer than the snapshot it sent first (spec/protocol.md §7.5). Its times
   * still count for the records; its state is older than what clients saw.
   */
  news: boolean;
}

const RINGING: readonly CallState[] = ['offering', 'accepted'];

function otherNumber(incoming: boolean, e: RoutedCallEvent['event']): string {
  const n = incoming ? (e.callerNumber ?? e.redirectingNumber) : (e.calledNumber ?? e.connectedNumber);
  return (n ?? e.connectedNumber ?? '').slice(0, 64);
}

export class CallTracker {
  private readonly calls = new Map<string, TrackedCall>();
  private readonly aliases = new Map<string, string>();
  /**
   * The other ids of finished calls: a driver that reports one call under two
   * ids ends both, and the second id's own end may come after the first's
   * finished the call. Without this it would start a call that ends at once
   * and gets a call log of its own (found by the through-stack replay).
   */
  private readonly endedAliases = new Map<string, TrackedCall>();
  /** Users who dialled, by the call key the connector answered `makeCall` with, until the call shows up. */
  private readonly pendingDials = new Map<string, { userId: string; at: MonoMs }>();

  constructor(private readonly maxCalls = 100_000) {}

  get(callKey: string): TrackedCall | undefined {
    return this.calls.get(this.aliases.get(callKey) ?? callKey);
  }

  all(): IterableIterator<TrackedCall> {
    return this.calls.values();
  }

  get size(): number {
    return this.calls.size;
  }

  /** A successful `makeCall` named its call: remember who dialled it. */
  noteDial(callKey: string, userId: string, now: MonoMs): void {
    const call = this.get(callKey);
    if (call !== undefined) call.dialedBy = userId;
    else {
      if (this.pendingDials.size >= 10_000) this.pendingDials.delete(this.pendingDials.keys().next().value as string);
      this.pendingDials.set(callKey, { userId, at: now });
    }
  }

  /** Applies one event to the call it belongs to (created on its first event). */
  apply(routed: RoutedCallEvent): Applied {
    const e = routed.event;
    let key = this.aliases.get(routed.callKey) ?? routed.callKey;
    if (!this.calls.has(key)) {
      const ended = this.endedAliases.get(routed.callKey);
      if (ended !== undefined && (e.state === 'disconnected' || e.state === 'idle')) return { call: ended, news: false };
      this.endedAliases.delete(routed.callKey); // anything else under that id is a new call
    }
    if (!this.calls.has(key) && e.relatedCallId !== undefined) {
      const related = `${routed.connectorHost}/${e.relatedCallId}`;
      const other = this.calls.get(this.aliases.get(related) ?? related);
      if (other !== undefined && other.line === routed.line) {
        this.aliases.set(routed.callKey, other.callKey);
        key = other.callKey;
      }
    }
    let call = this.calls.get(key);
    const known = call !== undefined;
    if (call === undefined) {
      const incoming = RINGING.includes(e.state) || (e.origin === 'inbound' && e.state !== 'dialtone' && e.state !== 'dialing');
      call = {
        callKey: key, line: routed.line, connectorHost: routed.connectorHost, callId: e.callId, origin: e.origin, incoming,
        number: otherNumber(incoming, e), state: e.state, startedAt: e.timestamp, answeredElsewhere: false,
        seenBy: new Set(), entitled: new Set(), targets: new Map(), lastEventAt: routed.receivedAt, lastTimestamp: e.timestamp,
      };
      const dial = this.pendingDials.get(key);
      if (dial !== undefined) {
        call.dialedBy = dial.userId;
        this.pendingDials.delete(key);
      }
      if (this.calls.size >= this.maxCalls) this.evictOldest();
      this.calls.set(key, call);
    }
    call.lastEventAt = routed.receivedAt;
    // After a reconnect the connector sends a snapshot first, then what it buffered (spec/protocol.md §7.5).
    // A call the manager tracks: the buffered events that follow carry each state change once, so the
    // snapshot is no news. A call it did not know: the snapshot shows it at once, and buffered events
    // up to the snapshot's seq are history — their times count, their (older) states are not shown.
    if (e.snapshot && known) {
      call.snapshotSeq = undefined;
      if ((e.state === 'connected' || e.state === 'onhold') && call.connectedAt === undefined) call.connectedAt = e.timestamp;
      return { call, news: false };
    }
    if (e.snapshot && e.seq !== undefined) call.snapshotSeq = e.seq;
    else if (e.seq !== undefined && call.snapshotSeq !== undefined) {
      if (e.seq <= call.snapshotSeq) {
        if (e.timestamp < call.startedAt) call.startedAt = e.timestamp;
        if ((e.state === 'connected' || e.state === 'onhold') && (call.connectedAt === undefined || e.timestamp < call.connectedAt)) call.connectedAt = e.timestamp;
        return { call, news: false };
      }
      call.snapshotSeq = undefined; // past the snapshot: what follows is news
    }
    call.state = e.state;
    call.lastTimestamp = e.timestamp;
    if (e.consultationOf !== undefined) call.consultationOf = `${routed.connectorHost}/${e.consultationOf}`;
    if (call.number === '') call.number = otherNumber(call.incoming, e);
    if ((e.state === 'connected' || e.state === 'onhold') && call.connectedAt === undefined) call.connectedAt = e.timestamp;
    if (e.state === 'disconnected' || e.state === 'idle') {
      call.endedAt ??= e.timestamp;
      if (e.reason !== undefined) call.reason ??= e.reason;
      if (e.reason === 'pickedUpElsewhere' && call.connectedAt === undefined) call.answeredElsewhere = true;
    }
    return { call, news: true };
  }

  /** The live consultation set up from the call `callKey`, if any. */
  consultationOf(callKey: string): TrackedCall | undefined {
    for (const call of this.calls.values()) if (call.consultationOf === callKey && call.endedAt === undefined) return call;
    return undefined;
  }

  /** Forgets a finished call and its aliases; returns every call key it went by. */
  remove(call: TrackedCall): string[] {
    this.calls.delete(call.callKey);
    const keys = [call.callKey];
    for (const [alias, key] of this.aliases) {
      if (key !== call.callKey) continue;
      this.aliases.delete(alias);
      keys.push(alias);
      if (this.endedAliases.size >= 10_000) this.endedAliases.delete(this.endedAliases.keys().next().value as string);
      this.endedAliases.set(alias, call);
    }
    return keys;
  }

  /** Calls without any event for `maxSilenceMs` (a connector that never reported their end). */
  stale(now: MonoMs, maxSilenceMs: number): TrackedCall[] {
    return [...this.calls.values()].filter((c) => elapsed(now, c.lastEventAt) > maxSilenceMs);
  }

  private evictOldest(): void {
    const oldest = this.calls.values().next().value;
    if (oldest !== undefined) this.remove(oldest);
  }
}

/**
 * Whether nobody took an incoming call (it counts as missed for the users it
 * was offered to). A call an agent rejected was seen and turned away: not missed.
 */
export function isMissed(call: TrackedCall): boolean {
  return call.incoming && call.connectedAt === undefined && !call.answeredElsewhere && call.reason !== 'rejected';
}
