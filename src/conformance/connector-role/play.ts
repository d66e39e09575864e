// The suite playing the manager for a connector: take its next connection,
// check its register, answer registered, read its line list; acknowledge
// events as they come, or hold the acks back (for the replay cases).
import { PROTOCOL_VERSION, type CallStateMessage, type LinesMessage, type RegisterMessage, type TapiMessage } from '../../protocol/index.ts';
import { check, skip, type CaseTools } from '../case.ts';
import { runHook } from '../hooks.ts';
import { isCommand } from '../inbox.ts';
import type { TcpPeer } from '../tcp-peer.ts';
import type { ConnectorContext } from './context.ts';

export interface Session {
  peer: TcpPeer;
  register: RegisterMessage;
  lines: LinesMessage;
}

export const SEQUENCED = new Set(['callState', 'lineAdded', 'lineRemoved', 'lineState', 'eventsLost']);

export function isEvent(m: TapiMessage): m is Extract<TapiMessage, { seq: number; channel: 'connector' }> & { command: 'callState' | 'lineAdded' | 'lineRemoved' | 'lineState' | 'eventsLost' } {
  return SEQUENCED.has(m.command) && !(m.command === 'callState' && m.snapshot);
}

/** Takes the connector's next connection and checks that its first message is register (not answered yet). */
export async function acceptRegister(ctx: ConnectorContext, t: CaseTools): Promise<{ peer: TcpPeer; register: RegisterMessage }> {
  t.step('waiting for the connector to connect');
  const peer = await ctx.listener.accept(ctx.target.acceptMs, t.signal);
  t.scope.add(() => peer.destroy());
  t.step('waiting for register');
  const register = await peer.inbox.expect<RegisterMessage>(() => true, 'a first message', ctx.target.replyMs);
  check(register.command === 'register', `the connector's first message is ${register.command}, not register (§7.1)`);
  return { peer, register };
}

/** Takes the connector's next connection and registers it; `ack: true` acknowledges every event as it arrives. */
export async function session(ctx: ConnectorContext, t: CaseTools, options: { ack?: boolean; protocolVersion?: string; lastAckedSeq?: number } = {}): Promise<Session> {
  const { peer, register } = await acceptRegister(ctx, t);
  if (options.ack) {
    peer.inbox.onMessage((m) => {
      if (!isEvent(m)) return;
      ctx.acked = Math.max(ctx.acked, m.seq);
      peer.send({ channel: 'connector', command: 'ack', seq: m.seq });
    });
  }
  peer.inbox.onMessage((m) => {
    if (isEvent(m)) ctx.maxSeq = Math.max(ctx.maxSeq, m.seq);
  });
  peer.send({ channel: 'connector', command: 'registered', protocolVersion: options.protocolVersion ?? PROTOCOL_VERSION, lastAckedSeq: options.lastAckedSeq ?? ctx.acked, keepAliveInterval: ctx.target.keepAliveInterval });
  t.step('waiting for lines');
  const lines = await peer.inbox.expect<LinesMessage>(isCommand('lines'), '`lines` after `registered`', ctx.target.replyMs, { keepCursor: true });
  ctx.lines = lines.lines.map((l) => l.name);
  return { peer, register, lines };
}

/** Rings a line of the connector through the --on-ring hook; the line and caller number it used. */
export async function ring(ctx: ConnectorContext, t: CaseTools, s: Session): Promise<{ line: string; from: string }> {
  if (ctx.target.onRing === undefined) skip('needs --on-ring: a command that makes the connector\'s phone system ring a line (CONFORMANCE_LINE, CONFORMANCE_FROM)');
  // Round the reported lines, so a line whose last call is still clearing gets time.
  const line = ctx.target.ringLine ?? s.lines.lines[ctx.rings++ % Math.max(1, s.lines.lines.length)]?.name;
  if (line === undefined) skip('the connector reports no line to ring');
  const from = ctx.uniqueNumber();
  t.step(`running the ring hook for line ${line}`);
  await runHook('on-ring', ctx.target.onRing, { CONFORMANCE_LINE: line, CONFORMANCE_FROM: from }, ctx.target.hookTimeoutMs);
  return { line, from };
}

/** The offering callState of the call the hook rang. */
export function offering(ctx: ConnectorContext, s: Session, line: string, from: number): Promise<CallStateMessage> {
  return s.peer.inbox.expect<CallStateMessage>((m) => m.command === 'callState' && !m.snapshot && m.line === line && m.state === 'offering', `callState(offering) on line ${line}`, ctx.target.hookTimeoutMs + ctx.target.replyMs, { from, keepCursor: true });
}

/** Waits until `peer` sent a message after `from` that passes `test`. */
export function after<M extends TapiMessage>(ctx: ConnectorContext, peer: TcpPeer, test: (m: TapiMessage) => boolean, what: string, from: number): Promise<M> {
  return peer.inbox.expect<M>(test, what, ctx.target.replyMs, { from, keepCursor: true });
}
