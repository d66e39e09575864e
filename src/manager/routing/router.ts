// Call routing (issue 7 item 6): every call event becomes a notification to
// every entitled user with a client online — ONE connection per user and call
// (the popup rule below) — and, when the call ends missed, a kept notification
// for each entitled user who had no client online while it rang.
//
// The popup rule: the first notification of a call goes to the user's most
// recently active connection; every later notification of that call goes to
// the same connection while it is open, so one tab holds the whole call. If
// that tab goes away, the next notification goes to the user's then most
// recently active tab (which thereby takes the call over, with its current
// state). A tab that connects during a call is sent the call's current state
// only if no other tab of the user holds it. So each call lives in exactly one
// tab per user and that tab always has its latest state.
import type { Logger } from 'pino';
import type { DirectoryMatch } from '../../dataverse/directory/directory.ts';
import type { LineConfigRecord } from '../../dataverse/repositories/index.ts';
import type { EffectiveDialingSettings } from '../../dialing/index.ts';
import { phoneCallIdFor } from '../records/ids.ts';
import type { CallControlAction, CallNotificationMessage } from '../../protocol/index.ts';
import { elapsed, type MonoMs } from '../clock.ts';
import type { RoutedCallEvent } from '../contracts.ts';
import { notificationsSent, type NotificationSent } from './diagnostics.ts';
import type { LineSettings } from '../entitlements/settings.ts';
import type { EntitlementTable } from '../entitlements/table.ts';
import { CallTracker, isMissed, type TrackedCall } from './calls.ts';
import type { MissedStore } from './missed.ts';
import { buildNotification, identifyCall } from './notification.ts';

export interface ClientTarget {
  readonly id: string;
  send(message: CallNotificationMessage): void;
}

export interface Recipients {
  /** An open, proven incall connection of the user: `preferred` while it is open, else the most recently active. */
  pick(userId: string, preferred: string | undefined): ClientTarget | undefined;
}

export interface RouterOptions {
  entitlements: () => EntitlementTable;
  settingsOf: (record: LineConfigRecord) => LineSettings;
  lookup: (number: string, settings: EffectiveDialingSettings) => DirectoryMatch[];
  recipients: Recipients;
  missed: MissedStore;
  /** A user's display name when known (never waits for the CRM). */
  nameOf: (userId: string) => string | undefined;
  /** Called once per call when it ended (idle) or went stale, with every call key it went by; must not throw. */
  onFinished: (call: TrackedCall, callKeys: readonly string[]) => void;
  /** Monotonic: recent hunt-group answers, kept missed calls and the silence sweep. */
  now: () => MonoMs;
  newId: () => string;
  logger: Logger;
  /** How long a hunt-group leg that lost the call waits for the leg that took it (to say who did). */
  elsewhereWaitMs?: number;
}

interface Parked {
  entries: { call: TrackedCall }[];
  timer: NodeJS.Timeout;
}

export class CallRouter {
  readonly calls = new CallTracker();
  /** Incoming calls connected recently, by connector host and number: who took a hunt-group call. */
  private readonly recentlyConnected = new Map<string, { by: string | undefined; line: string; at: MonoMs }>();
  private readonly parked = new Map<string, Parked>();

  constructor(private readonly o: RouterOptions) {}

  route(routed: RoutedCallEvent): void {
    const { call, news } = this.calls.apply(routed);
    if (!news) return;
    const table = this.o.entitlements();
    for (const user of table.usersOf(call.line)) call.entitled.add(user);
    const huntKey = call.number === '' ? undefined : `${call.connectorHost}|${call.number}`;
    if ((call.state === 'connected' || call.state === 'onhold') && call.incoming && call.answeredBy === undefined) {
      call.answeredBy = call.answerIntent ?? soleOwner(table, call.line);
      if (huntKey !== undefined) {
        this.recentlyConnected.set(huntKey, { by: call.answeredBy, line: call.line, at: this.o.now() });
        this.trimRecent();
      }
    }
    if (call.answeredElsewhere && call.answeredBy === undefined && huntKey !== undefined && !this.elsewhereKnown(call, huntKey)) {
      this.park(call, huntKey);
      return;
    }
    this.deliver(call, table);
    if (huntKey !== undefined && call.state === 'connected') this.release(huntKey);
  }

  /**
   * Sends the call's current state to each entitled user — once per state
   * change: a snapshot or a replayed event that shows the same again (after a
   * reconnect) is no news to anyone — and finishes the call when it is idle.
   */
  private deliver(call: TrackedCall, table: EntitlementTable): void {
    const shown = `${call.state}|${call.number}`;
    const fresh = shown !== call.shown;
    call.shown = shown;
    if (fresh) for (const user of table.usersOf(call.line)) {
      const grant = table.grant(user, call.line);
      if (grant === undefined) continue;
      const target = this.o.recipients.pick(user, call.targets.get(user));
      if (target === undefined) continue;
      call.targets.set(user, target.id);
      call.seenBy.add(user);
      target.send(this.notificationFor(call, user, grant.record, false));
      if (notificationsSent.hasSubscribers) notificationsSent.publish({ receivedAt: call.lastEventAt, callKey: call.callKey, state: call.state } satisfies NotificationSent);
    }
    if (call.state === 'idle') this.finish(call);
  }

  private notificationFor(call: TrackedCall, user: string, record: LineConfigRecord, replayed: boolean): CallNotificationMessage {
    const settings = this.o.settingsOf(record);
    const identification = identifyCall(call, record.id, settings.dialing, this.o.lookup);
    const answeredBy = this.answeredByFor(call, user);
    return buildNotification({
      notificationId: this.o.newId(), call, timestamp: call.lastTimestamp, settings, identification, replayed,
      phoneCallId: phoneCallIdFor(call, user),
      ...(answeredBy === undefined ? {} : { answeredBy }),
    });
  }

  /** "Answered by <user>" for everyone but the one who answered; the answering line when the user is unknown. */
  private answeredByFor(call: TrackedCall, user: string): string | undefined {
    if (call.answeredElsewhere) {
      const hunt = this.recentlyConnected.get(`${call.connectorHost}|${call.number}`);
      if (hunt === undefined || hunt.by === user) return undefined;
      return (hunt.by === undefined ? undefined : this.o.nameOf(hunt.by)) ?? hunt.line;
    }
    if (call.connectedAt === undefined || call.answeredBy === undefined || call.answeredBy === user) return undefined;
    return this.o.nameOf(call.answeredBy) ?? call.line;
  }

  private elsewhereKnown(call: TrackedCall, huntKey: string): boolean {
    const hunt = this.recentlyConnected.get(huntKey);
    return hunt !== undefined && hunt.line !== call.line && elapsed(this.o.now(), hunt.at) <= 60_000;
  }

  // The PBX ends the losing legs of a hunt group before it reports the winner
  // connected; their last events wait briefly so they can say who answered.
  private park(call: TrackedCall, huntKey: string): void {
    let parked = this.parked.get(huntKey);
    if (parked === undefined) {
      const timer = setTimeout(() => this.release(huntKey), this.o.elsewhereWaitMs ?? 1500);
      timer.unref();
      this.parked.set(huntKey, (parked = { entries: [], timer }));
    }
    if (!parked.entries.some((e) => e.call === call)) parked.entries.push({ call });
    else if (call.state === 'idle') parked.entries = parked.entries.filter((e) => e.call !== call).concat({ call });
  }

  private release(huntKey: string): void {
    const parked = this.parked.get(huntKey);
    if (parked === undefined) return;
    clearTimeout(parked.timer);
    this.parked.delete(huntKey);
    const table = this.o.entitlements();
    for (const { call } of parked.entries) {
      try {
        this.deliver(call, table);
      } catch (err) {
        this.o.logger.error({ err, callKey: call.callKey }, 'notification of a hunt-group leg failed');
      }
    }
  }

  private finish(call: TrackedCall): void {
    const keys = this.calls.remove(call);
    if (isMissed(call)) {
      const table = this.o.entitlements();
      for (const user of call.entitled) {
        if (call.seenBy.has(user)) continue;
        const grant = table.grant(user, call.line);
        if (grant !== undefined) this.o.missed.keep(user, this.notificationFor(call, user, grant.record, true), this.o.now());
      }
    }
    try {
      this.o.onFinished(call, keys);
    } catch (err) {
      this.o.logger.error({ err, callKey: call.callKey }, 'recording a finished call failed');
    }
  }

  /**
   * A user's client was just welcomed: the missed calls kept for them, then
   * the current state of each active call on their lines no other tab holds.
   */
  catchUp(user: string, target: ClientTarget, hasOpen: (connectionId: string) => boolean): void {
    const table = this.o.entitlements();
    // Kept when the call ended; replayed only while the user still has the line (the current table decides).
    for (const message of this.o.missed.take(user, this.o.now())) if (table.grant(user, message.line) !== undefined) target.send(message);
    for (const call of this.calls.all()) {
      const grant = table.grant(user, call.line);
      if (grant === undefined) continue;
      const holder = call.targets.get(user);
      if (holder !== undefined && hasOpen(holder)) continue;
      call.entitled.add(user);
      call.targets.set(user, target.id);
      call.seenBy.add(user);
      target.send(this.notificationFor(call, user, grant.record, true));
    }
  }

  /** Who pressed "answer": the answering user when the call connects. */
  noteAnswer(callKey: string, user: string): void {
    const call = this.calls.get(callKey);
    if (call !== undefined) call.answerIntent = user;
  }

  /**
   * A call control on its way to the connector (`asked`) or refused by it: a
   * transfer names where the call went (blind: the dial string; completed
   * consultation: the consulted number), for the call's records. Noted when
   * asked, since the call ends (and is recorded) before the result arrives;
   * forgotten again when refused.
   */
  noteControl(callKey: string, action: CallControlAction, dialString: string | undefined, stage: 'asked' | 'refused'): void {
    const call = this.calls.get(callKey);
    if (call === undefined) return;
    const consultation = action === 'completeTransfer' ? this.calls.consultationOf(call.callKey) : undefined;
    if (stage === 'refused') {
      if (action === 'transfer' || action === 'completeTransfer') delete call.transferredTo;
      if (consultation !== undefined) delete consultation.transferredTo;
      return;
    }
    if (action === 'transfer' && dialString !== undefined) call.transferredTo = dialString;
    if (consultation !== undefined) {
      call.transferredTo = consultation.number;
      consultation.transferredTo = call.number;
    }
  }

  /** Ends calls the connector never reported as ended (connector gone for good); returns how many. */
  sweep(maxSilenceMs: number): number {
    const stale = this.calls.stale(this.o.now(), maxSilenceMs);
    for (const call of stale) {
      this.o.logger.warn({ callKey: call.callKey, line: call.line, state: call.state }, 'call had no event for too long; recorded as ended');
      call.endedAt ??= call.lastTimestamp;
      this.finish(call);
    }
    return stale.length;
  }

  stop(): void {
    for (const parked of this.parked.values()) clearTimeout(parked.timer);
    this.parked.clear();
  }

  private trimRecent(): void {
    if (this.recentlyConnected.size <= 10_000) return;
    const now = this.o.now();
    for (const [key, v] of this.recentlyConnected) if (elapsed(now, v.at) > 60_000 || this.recentlyConnected.size > 10_000) this.recentlyConnected.delete(key);
  }
}

/** The user of the line's own record when exactly one user has one (who picked up a shared phone is unknown). */
function soleOwner(table: EntitlementTable, line: string): string | undefined {
  const owners = table.usersOf(line).filter((u) => table.grant(u, line)?.via === 'own');
  return owners.length === 1 ? owners[0] : undefined;
}
