// The suite playing a connector and a browser client against a manager: the
// openings every case shares (register and report lines; connect, challenge,
// prove, welcome) and the event builder.
import { PROTOCOL_VERSION, isSameMajorVersion, type CallControl, type CallState, type LineInfo, type CallStateMessage, type CallNotificationMessage, type TapiMessage, type WelcomeMessage } from '../../protocol/index.ts';
import { check, skip, type CaseTools } from '../case.ts';
import { isCommand } from '../inbox.ts';
import { TcpPeer } from '../tcp-peer.ts';
import { WsPeer } from '../ws-peer.ts';
import type { ManagerContext } from './context.ts';

export interface PlayedConnector {
  peer: TcpPeer;
  registered: Extract<TapiMessage, { command: 'registered' }>;
}

/** A line as the suite reports it; `controls` (1.1) only when given: without it the suite is an older connector that did not say. */
export function lineInfo(name: string, controls?: readonly CallControl[]): LineInfo {
  return {
    name, address: name, permanentId: `0x${Buffer.from(name).toString('hex').slice(0, 16)}`, mediaModes: ['audio'], inService: true, rejectAllowed: true,
    ...(controls === undefined ? {} : { controls: [...controls] }),
  };
}

export async function openTcp(ctx: ManagerContext, t: CaseTools): Promise<TcpPeer> {
  t.step('connecting to the TAPI port');
  return TcpPeer.connect(ctx.target.tcpHost, ctx.target.tcpPort, 'manager', t.scope, ctx.target.replyMs);
}

/** Registers the suite's host (claiming what the manager acknowledged before), reports its lines and ends the catch-up with `synced`. */
export async function playConnector(
  ctx: ManagerContext, t: CaseTools,
  options: { lines?: boolean; synced?: boolean; peer?: TcpPeer; keepAlive?: boolean; controls?: readonly CallControl[] } = {},
): Promise<PlayedConnector> {
  const peer = options.peer ?? (await openTcp(ctx, t));
  t.step('registering');
  peer.send({
    channel: 'connector', command: 'register', protocolVersion: PROTOCOL_VERSION, connectorVersion: 'conformance', host: ctx.target.connectorHost, connectorKey: ctx.target.connectorKey,
    ...(ctx.acked === undefined ? {} : { lastAckedSeq: ctx.acked }),
  });
  const registered = await peer.inbox.expect<PlayedConnector['registered']>(isCommand('registered'), '`registered` after `register`', ctx.target.replyMs);
  ctx.seq = Math.max(ctx.seq, registered.lastAckedSeq);
  ctx.acked = Math.max(ctx.acked ?? 0, registered.lastAckedSeq);
  ctx.keepAliveInterval = registered.keepAliveInterval;
  if (options.keepAlive !== false) keepAlive(peer, registered.keepAliveInterval, t);
  if (options.lines !== false) await reportLines(ctx, t, peer, options.controls, options.synced !== false);
  return { peer, registered };
}

/** Sends the line list (with `controls` on every line when given), optionally `synced`, and waits until the manager took it. */
export async function reportLines(ctx: ManagerContext, t: CaseTools, peer: TcpPeer, controls?: readonly CallControl[], synced = false): Promise<void> {
  peer.send({ channel: 'connector', command: 'lines', lines: [...ctx.target.lines, ctx.unassignedLine].map((l) => lineInfo(l, controls)) });
  if (synced) peer.send({ channel: 'connector', command: 'synced', snapshotSeq: ctx.seq, activeCalls: 0 });
  // A barrier: the manager handles one connection's frames in order, so once a later event is
  // acknowledged it knows the line list (a dial racing ahead of it would be refused).
  t.step('waiting until the manager took the line list');
  const ring = callState(ctx, ctx.unassignedLine, ctx.unique('k'), 'offering', { callerNumber: ctx.uniqueNumber() });
  peer.send(ring);
  await sendEvent(ctx, peer, callState(ctx, ctx.unassignedLine, ring.callId, 'idle'));
}

/** As a connector does: keep-alives while the case waits, so only M-KA-01 tests the manager's silence limit. */
export function keepAlive(peer: TcpPeer, intervalSeconds: number, t: CaseTools): void {
  const timer = setInterval(() => peer.send({ channel: 'connector', command: 'keepalive' }), Math.max(250, (intervalSeconds * 1000) / 2));
  t.scope.add(() => clearInterval(timer));
  void peer.closed.then(() => clearInterval(timer));
}

export function callState(ctx: ManagerContext, line: string, callId: string, state: CallState, extra: Partial<CallStateMessage> = {}): CallStateMessage {
  return {
    channel: 'connector', command: 'callState', seq: ctx.nextSeq(), timestamp: new Date().toISOString(), line, callId, state,
    origin: 'inbound', snapshot: false, ...extra,
  };
}

/** Sends a sequenced event and waits until the manager acknowledged it (cumulatively). */
export async function sendEvent(ctx: ManagerContext, peer: TcpPeer, message: CallStateMessage): Promise<void> {
  peer.send(message);
  await peer.inbox.expect(
    (m) => m.command === 'ack' && m.seq >= message.seq, `ack covering seq ${message.seq}`, ctx.target.replyMs, { from: 0, keepCursor: true },
  );
  ctx.acked = Math.max(ctx.acked ?? 0, message.seq);
}

export async function openClient(ctx: ManagerContext, t: CaseTools, name = 'manager (WebSocket)'): Promise<WsPeer> {
  t.step('opening a WebSocket');
  return WsPeer.open(ctx.target.wsUrl, name, t.scope, ctx.target.replyMs, ctx.target.origin);
}

export interface SignedIn {
  peer: WsPeer;
  welcome: WelcomeMessage;
  clientInstanceId: string;
}

export function requireProver(ctx: ManagerContext): NonNullable<ManagerContext['target']['prover']> {
  if (ctx.target.prover === undefined) {
    skip('needs a proven browser client: give --dataverse with --user (or --prove-hook); see spec/conformance.md "Identity proof"');
  }
  return ctx.target.prover;
}

/** connect → challenge → session record → prove → welcome, as a browser does. */
export async function signIn(ctx: ManagerContext, t: CaseTools, clientInstanceId = ctx.unique('tab-')): Promise<SignedIn> {
  const prover = requireProver(ctx);
  const peer = await openClient(ctx, t);
  t.step('connect → challenge');
  peer.send({ channel: 'intincall', command: 'connect', registration: 'manuell', incallVersion: '8.1.1.0', incallClient: 'conformance' });
  const challenge = await peer.inbox.expect<Extract<TapiMessage, { command: 'challenge' }>>(isCommand('challenge'), '`challenge` after `connect`', ctx.target.replyMs);
  t.step(`creating the session record as ${prover.who}`);
  const sessionRecordId = await prover.sessionRecord(challenge.nonce, clientInstanceId);
  t.step('prove → welcome');
  peer.send({ channel: 'intincall', command: 'prove', nonce: challenge.nonce, sessionRecordId, clientInstanceId });
  const welcome = await peer.inbox.expect<WelcomeMessage>(isCommand('welcome'), '`welcome` after a valid `prove`', ctx.target.replyMs);
  return { peer, welcome, clientInstanceId };
}

/** A line of the suite's host the proven user may see; skips with what to configure otherwise. */
export function entitledLine(ctx: ManagerContext, welcome: WelcomeMessage): string {
  const mine = new Set(ctx.target.lines.map((l) => ctx.fullLine(l)));
  const found = welcome.lines.find((l) => mine.has(l.line));
  if (found === undefined) {
    skip(`the proven user ${welcome.userName || welcome.userId} is entitled to none of ${[...mine].join(', ')}; assign one of them to the user in the CRM (user line record)`);
  }
  return found.line.slice(ctx.target.connectorHost.length + 1);
}

/** Waits for the notification of the call that rang with `number` on `line`, from the client's cursor. */
export function notificationOf(ctx: ManagerContext, peer: WsPeer, line: string, number: string, state: CallState, what: string, from?: number): Promise<CallNotificationMessage> {
  return peer.inbox.expect<CallNotificationMessage>(
    (m) => m.command === 'callNotification' && m.line === ctx.fullLine(line) && m.number === number && m.state === state,
    what, ctx.target.replyMs, from === undefined ? {} : { from },
  );
}

/** Everything a client received about one call (by its key). */
export function notificationsFor(peer: WsPeer, callKey: string): CallNotificationMessage[] {
  return peer.inbox.filter<CallNotificationMessage>((m) => m.command === 'callNotification' && m.callKey === callKey);
}

export function checkMajor(version: string, what: string): void {
  check(isSameMajorVersion(version), `${what} announces protocol ${version}; the suite speaks ${PROTOCOL_VERSION} (same major required, §6)`);
}
