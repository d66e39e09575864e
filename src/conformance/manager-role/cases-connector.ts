// Manager role, connector side (TCP): registration, acknowledgements, framing,
// malformed frames, keep-alive and the sequence point after a reconnect.
import { encodeFrame, encodeMessage, encodeUtf8, type AckMessage, type ErrorMessage, type RegisteredMessage } from '../../protocol/index.ts';
import { check, fail, type Case } from '../case.ts';
import { isCommand } from '../inbox.ts';
import { sleep } from '../scope.ts';
import type { ManagerContext } from './context.ts';
import type { TcpPeer } from '../tcp-peer.ts';
import { callState, checkMajor, keepAlive, openTcp, playConnector, sendEvent } from './play.ts';

type C = Case<ManagerContext>;

const isError = (code?: string) => (m: { command: string; code?: string }): boolean => m.command === 'error' && (code === undefined || m.code === code);

/** After a bad frame the connection must still work: the next event is acknowledged. */
async function stillWorks(ctx: ManagerContext, peer: TcpPeer, what: string): Promise<void> {
  check(peer.open, `the manager closed the connection after ${what}; a bad message inside a good frame must not end it (§5)`);
  await probeCall(ctx, peer);
}

/** A short call on the line nobody is entitled to: proves the connection carries events, disturbs no user. */
async function probeCall(ctx: ManagerContext, peer: TcpPeer): Promise<number> {
  const ring = callState(ctx, ctx.unassignedLine, ctx.unique('k'), 'offering', { callerNumber: ctx.uniqueNumber() });
  peer.send(ring);
  const idle = callState(ctx, ctx.unassignedLine, ring.callId, 'idle');
  await sendEvent(ctx, peer, idle);
  return idle.seq;
}

export const CONNECTOR_SIDE_CASES: C[] = [
  {
    id: 'M-REG-01', group: 'registration', clause: '§7.1', level: 'MUST',
    title: 'register with an accepted key is answered with registered (protocol 1.x, lastAckedSeq, keepAliveInterval)',
    async run(ctx, t) {
      const { registered } = await playConnector(ctx, t);
      checkMajor(registered.protocolVersion, '`registered`');
      t.note(`registered: lastAckedSeq ${registered.lastAckedSeq}, keepAliveInterval ${registered.keepAliveInterval} s`);
    },
  },
  {
    id: 'M-REG-02', group: 'registration', clause: '§7.1', level: 'MUST',
    title: 'register with a wrong key is refused: no registered, an error and the connection closed',
    async run(ctx, t) {
      const peer = await openTcp(ctx, t);
      peer.send({ channel: 'connector', command: 'register', protocolVersion: '1.0', connectorVersion: 'conformance', host: `${ctx.target.connectorHost}-intruder`, connectorKey: `wrong-${ctx.unique('')}` });
      t.step('waiting for the refusal');
      const closed = await peer.closesWithin(ctx.target.replyMs);
      check(peer.inbox.filter(isCommand('registered')).length === 0, 'the manager answered `registered` to a wrong connector key');
      check(closed, `the manager kept the connection of a wrong key open for ${ctx.target.replyMs} ms`);
      check(peer.inbox.filter(isError()).length > 0, 'the manager closed without an `error` message saying why');
    },
  },
  {
    id: 'M-REG-03', group: 'registration', clause: '§6', level: 'MUST',
    title: 'a different major protocol version is refused with error unsupported-version, then close',
    async run(ctx, t) {
      const peer = await openTcp(ctx, t);
      peer.send({ channel: 'connector', command: 'register', protocolVersion: '2.0', connectorVersion: 'conformance', host: ctx.target.connectorHost, connectorKey: ctx.target.connectorKey });
      const closed = await peer.closesWithin(ctx.target.replyMs);
      check(peer.inbox.filter(isCommand('registered')).length === 0, 'the manager accepted protocol 2.0 (`registered`)');
      check(peer.inbox.filter(isError('unsupported-version')).length > 0, `no error unsupported-version; received: ${peer.inbox.describe()}`);
      check(closed, 'the connection stayed open after the refusal');
    },
  },
  {
    id: 'M-REG-04', group: 'registration', clause: '§6', level: 'SHOULD',
    title: 'a higher minor version of the same major (1.9) is accepted',
    async run(ctx, t) {
      const peer = await openTcp(ctx, t);
      peer.send({
        channel: 'connector', command: 'register', protocolVersion: '1.9', connectorVersion: 'conformance', host: ctx.target.connectorHost, connectorKey: ctx.target.connectorKey,
        ...(ctx.acked === undefined ? {} : { lastAckedSeq: ctx.acked }),
      });
      const r = await peer.inbox.expect<RegisteredMessage>(isCommand('registered'), '`registered` for protocol 1.9', ctx.target.replyMs);
      ctx.seq = Math.max(ctx.seq, r.lastAckedSeq);
    },
  },
  {
    id: 'M-REG-05', group: 'registration', clause: '§8 ack', level: 'MUST',
    title: 'call events are acknowledged cumulatively (an ack covering the last seq)',
    async run(ctx, t) {
      const { peer } = await playConnector(ctx, t);
      const line = ctx.unassignedLine;
      const callId = ctx.unique('k');
      const events = [callState(ctx, line, callId, 'offering', { callerNumber: ctx.uniqueNumber() }), callState(ctx, line, callId, 'disconnected', { reason: 'callerHungUp' }), callState(ctx, line, callId, 'idle')];
      for (const e of events) peer.send(e);
      t.step('waiting for the ack');
      const last = events[2]?.seq as number;
      await peer.inbox.expect((m) => m.command === 'ack' && m.seq >= last, `ack with seq ≥ ${last}`, ctx.target.replyMs);
      ctx.acked = last;
      const acks = peer.inbox.filter<AckMessage>(isCommand('ack'));
      check(acks.every((a, i) => i === 0 || a.seq >= (acks[i - 1]?.seq ?? 0)), `acknowledgements went backwards: ${acks.map((a) => a.seq).join(', ')}`);
      check(acks.every((a) => a.seq <= last), `an ack (${Math.max(...acks.map((a) => a.seq))}) covers a seq the suite never sent (last ${last})`);
    },
  },
  {
    id: 'M-REG-06', group: 'framing', clause: '§2.1', level: 'MUST',
    title: 'any chunking is accepted: register one byte per write, then two frames in one write',
    async run(ctx, t) {
      const peer = await openTcp(ctx, t);
      const frame = encodeFrame(encodeUtf8(encodeMessage({
        channel: 'connector', command: 'register', protocolVersion: '1.0', connectorVersion: 'conformance', host: ctx.target.connectorHost, connectorKey: ctx.target.connectorKey,
        ...(ctx.acked === undefined ? {} : { lastAckedSeq: ctx.acked }),
      })));
      t.step('writing the register frame byte by byte');
      for (let i = 0; i < frame.length; i += 1) {
        peer.sendRaw(frame.subarray(i, i + 1));
        if (i % 16 === 0) await sleep(1, t.signal);
      }
      const r = await peer.inbox.expect<RegisteredMessage>(isCommand('registered'), '`registered` after a byte-by-byte register', ctx.target.replyMs);
      ctx.seq = Math.max(ctx.seq, r.lastAckedSeq);
      keepAlive(peer, r.keepAliveInterval, t);
      const line = ctx.unassignedLine;
      const a = callState(ctx, line, ctx.unique('k'), 'offering', { callerNumber: ctx.uniqueNumber() });
      const b = callState(ctx, line, a.callId, 'idle');
      const two = [encodeFrame(encodeUtf8(encodeMessage(a))), encodeFrame(encodeUtf8(encodeMessage(b)))];
      peer.sendRaw(Buffer.concat(two));
      await peer.inbox.expect((m) => m.command === 'ack' && m.seq >= b.seq, `ack with seq ≥ ${b.seq} after two frames in one write`, ctx.target.replyMs, { from: 0 });
      ctx.acked = b.seq;
    },
  },
  {
    id: 'M-FRM-01', group: 'malformed', clause: '§5', level: 'MUST',
    title: 'malformed XML in a good frame gets error malformed-xml and the connection stays usable',
    async run(ctx, t) {
      const { peer } = await playConnector(ctx, t);
      peer.sendXml('<?xml version="1.0" encoding="utf-8"?><tapiaction name="connector"><command>keepalive</command>');
      await peer.inbox.expect(isError('malformed-xml'), 'error malformed-xml', ctx.target.replyMs);
      await stillWorks(ctx, peer, 'malformed XML');
    },
  },
  {
    id: 'M-FRM-02', group: 'malformed', clause: '§6', level: 'MUST',
    title: 'an unknown command is answered with error unknown-command carrying its requestId; the connection stays usable',
    async run(ctx, t) {
      const { peer } = await playConnector(ctx, t);
      const requestId = ctx.unique('r-');
      peer.sendXml(`<?xml version="1.0" encoding="utf-8"?><tapiaction name="connector"><command>teleport</command><requestId>${requestId}</requestId></tapiaction>`);
      const e = await peer.inbox.expect<ErrorMessage>(isError('unknown-command'), 'error unknown-command', ctx.target.replyMs);
      check(e.requestId === requestId, `the error carries requestId ${e.requestId ?? '(none)'}, not ${requestId}`);
      await stillWorks(ctx, peer, 'an unknown command');
    },
  },
  {
    id: 'M-FRM-03', group: 'malformed', clause: '§4', level: 'MUST',
    title: 'a DOCTYPE with entities ("billion laughs") is refused with doctype-forbidden, nothing expanded; the connection stays usable',
    async run(ctx, t) {
      const { peer } = await playConnector(ctx, t);
      peer.sendXml('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><tapiaction name="connector"><command>keepalive</command><x>&lol2;</x></tapiaction>');
      await peer.inbox.expect(isError('doctype-forbidden'), 'error doctype-forbidden', ctx.target.replyMs);
      await stillWorks(ctx, peer, 'a DOCTYPE');
    },
  },
  {
    id: 'M-FRM-04', group: 'malformed', clause: '§5', level: 'MUST',
    title: 'an error message from the connector is never answered with an error (no loops)',
    async run(ctx, t) {
      const { peer } = await playConnector(ctx, t);
      const from = peer.inbox.messages.length;
      peer.send({ channel: 'connector', command: 'error', code: 'conformance-probe', message: 'an error the manager must not answer with an error' });
      await stillWorks(ctx, peer, 'an error message');
      check(peer.inbox.filter(isError(), from).length === 0, `the manager answered an error message with ${peer.inbox.describe(from)}`);
    },
  },
  {
    id: 'M-KA-01', group: 'keep-alive', clause: '§7.1', level: 'MUST',
    title: 'a silent registered connector is closed after the keep-alive interval plus the grace',
    timeoutMs: (ctx) => (ctx.keepAliveInterval + ctx.target.keepAliveGraceSeconds) * 1000 + 3 * ctx.target.replyMs,
    async run(ctx, t) {
      const { peer } = await playConnector(ctx, t, { keepAlive: false });
      const limit = (ctx.keepAliveInterval + ctx.target.keepAliveGraceSeconds) * 1000;
      t.step(`staying silent for up to ${limit} ms + ${ctx.target.replyMs} ms`);
      const started = performance.now();
      const closed = await peer.closesWithin(limit + ctx.target.replyMs);
      if (!closed) fail(`the manager kept a connector that sent nothing for ${Math.round(performance.now() - started)} ms open (interval ${ctx.keepAliveInterval} s + grace ${ctx.target.keepAliveGraceSeconds} s)`);
      t.note(`closed after ${Math.round(performance.now() - started)} ms of silence`);
    },
  },
  {
    id: 'M-KA-02', group: 'keep-alive', clause: '§7.1', level: 'MUST',
    title: 'a connector that sends keepalive within the interval stays connected',
    timeoutMs: (ctx) => (ctx.keepAliveInterval + ctx.target.keepAliveGraceSeconds) * 2000 + 3 * ctx.target.replyMs,
    async run(ctx, t) {
      const { peer } = await playConnector(ctx, t, { keepAlive: false });
      const span = (ctx.keepAliveInterval + ctx.target.keepAliveGraceSeconds) * 1000 + 1_000;
      const every = Math.max(200, (ctx.keepAliveInterval * 1000) / 2);
      t.step(`sending keepalive every ${every} ms for ${span} ms`);
      const end = performance.now() + span;
      while (performance.now() < end) {
        peer.send({ channel: 'connector', command: 'keepalive' });
        await sleep(every, t.signal);
        check(peer.open, `the manager closed a connector that sent keepalive every ${every} ms (${peer.inbox.endReason ?? ''})`);
      }
    },
  },
  {
    id: 'M-RPL-01', group: 'replay', clause: '§7.5', level: 'MUST',
    title: 'after a reconnect, registered.lastAckedSeq is at least the last seq the manager acknowledged',
    async run(ctx, t) {
      const first = await playConnector(ctx, t);
      const last = await probeCall(ctx, first.peer);
      first.peer.destroy();
      await first.peer.closed;
      const again = await playConnector(ctx, t);
      check(again.registered.lastAckedSeq >= last, `the manager acknowledged seq ${last}, then answered the reconnect with lastAckedSeq ${again.registered.lastAckedSeq}: the connector would send acknowledged events again`);
    },
  },
];
