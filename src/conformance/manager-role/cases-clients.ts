// Manager role, browser side (WebSocket): the manual's handshake variants,
// the identity proof, refusals without it, message limits, and entitlement
// (a client never hears of, nor dials on, a line it is not entitled to).
import { randomUUID } from 'node:crypto';
import type { ChallengeMessage, DialResultMessage, ErrorMessage } from '../../protocol/index.ts';
import { check, type Case } from '../case.ts';
import { isCommand } from '../inbox.ts';
import { sleep } from '../scope.ts';
import type { ManagerContext } from './context.ts';
import { callState, checkMajor, entitledLine, notificationOf, openClient, playConnector, requireProver, sendEvent, signIn } from './play.ts';

type C = Case<ManagerContext>;

const challenged = (m: { command: string }): boolean => m.command === 'challenge';

/** A raw intincall/connect document (the manual's spellings are not all producible by the encoder). */
function connectXml(channel: string, registration: string, version: string, extra = ''): string {
  return `<?xml version="1.0" encoding="utf-8"?><tapiaction name="${channel}"><command>connect</command><registration>${registration}</registration><incallVersion>${version}</incallVersion>${extra}</tapiaction>`;
}

export const CLIENT_SIDE_CASES: C[] = [
  {
    id: 'M-HS-01', group: 'handshake', clause: '§7.6', level: 'MUST',
    title: 'the manual\'s v5 connect (registration auto, no user id) is answered with challenge',
    async run(ctx, t) {
      const peer = await openClient(ctx, t);
      peer.sendText(connectXml('intincall', 'auto', '5.1.23.0'));
      const c = await peer.inbox.expect<ChallengeMessage>(challenged, '`challenge` after a v5 connect', ctx.target.replyMs);
      check(c.nonce.length >= 8, `the nonce "${c.nonce}" is too short to be unguessable`);
    },
  },
  {
    id: 'M-HS-02', group: 'handshake', clause: '§6', level: 'MUST',
    title: 'the manual\'s v8 connect variants: channel INTINCALL, registration MANUELL, braced upper-case user id',
    async run(ctx, t) {
      const peer = await openClient(ctx, t);
      peer.sendText(connectXml('INTINCALL', 'MANUELL', '8.1.1.0', `<incallClient>web</incallClient><userid>{${randomUUID().toUpperCase()}}</userid><organisation>Tapi</organisation>`));
      await peer.inbox.expect(challenged, '`challenge` after a v8 connect with the manual\'s spellings', ctx.target.replyMs);
    },
  },
  {
    id: 'M-HS-03', group: 'handshake', clause: '§8 outcall', level: 'MUST',
    title: 'the manual\'s outcall connect gets a precise answer (challenge or error), not silence',
    async run(ctx, t) {
      const peer = await openClient(ctx, t);
      peer.sendText(connectXml('outcall', 'auto', '5.1.23.0'));
      await peer.inbox.expect((m) => m.command === 'challenge' || m.command === 'error', '`challenge` or `error` after an outcall connect', ctx.target.replyMs);
    },
  },
  {
    id: 'M-HS-04', group: 'identity', clause: '§7.6', level: 'MUST',
    title: 'prove naming a session record that does not exist is refused with an error and no welcome',
    async run(ctx, t) {
      const peer = await openClient(ctx, t);
      peer.send({ channel: 'intincall', command: 'connect', registration: 'manuell', incallVersion: '8.1.1.0', userid: randomUUID() });
      const c = await peer.inbox.expect<ChallengeMessage>(challenged, '`challenge`', ctx.target.replyMs);
      peer.send({ channel: 'intincall', command: 'prove', nonce: c.nonce, sessionRecordId: randomUUID(), clientInstanceId: ctx.unique('tab-') });
      const from = peer.inbox.cursor;
      await peer.inbox.expect(isCommand('error'), '`error` refusing the proof', ctx.target.replyMs).catch((err: Error) => {
        check(peer.inbox.filter(isCommand('welcome'), from).length === 0, 'the manager welcomed a client whose session record does not exist');
        throw err;
      });
      check(peer.inbox.filter(isCommand('welcome')).length === 0, 'the manager welcomed a client whose session record does not exist');
    },
  },
  {
    id: 'M-HS-05', group: 'identity', clause: '§7.6', level: 'MUST', needs: ['proof'],
    title: 'a valid proof is answered with welcome naming the proven user (protocol 1.x, heartbeat interval)',
    async run(ctx, t) {
      const { welcome } = await signIn(ctx, t);
      checkMajor(welcome.protocolVersion, '`welcome`');
      t.note(`welcome: ${welcome.userName} (${welcome.userId}), ${welcome.lines.length} line(s), heartbeat ${welcome.heartbeatInterval} s`);
    },
  },
  {
    id: 'M-HS-06', group: 'identity', clause: '§7.6', level: 'MUST', needs: ['proof'],
    title: 'a session record made for another nonce proves nothing (error, no welcome)',
    async run(ctx, t) {
      const prover = requireProver(ctx);
      const peer = await openClient(ctx, t);
      peer.send({ channel: 'intincall', command: 'connect', registration: 'manuell', incallVersion: '8.1.1.0' });
      const c = await peer.inbox.expect<ChallengeMessage>(challenged, '`challenge`', ctx.target.replyMs);
      const tab = ctx.unique('tab-');
      t.step('creating a session record for another nonce');
      const id = await prover.sessionRecord(`${c.nonce}-not-it`, tab);
      peer.send({ channel: 'intincall', command: 'prove', nonce: c.nonce, sessionRecordId: id, clientInstanceId: tab });
      await peer.inbox.expect(isCommand('error'), '`error` refusing the proof', ctx.target.replyMs);
      check(peer.inbox.filter(isCommand('welcome')).length === 0, 'the manager welcomed a client whose session record carries another nonce');
    },
  },
  {
    id: 'M-HS-07', group: 'identity', clause: 'DESIGN identity', level: 'MUST',
    title: 'a client that claims a user id but never proves it hears of no call and cannot dial',
    async run(ctx, t) {
      const { peer: connector } = await playConnector(ctx, t);
      const client = await openClient(ctx, t);
      client.send({ channel: 'intincall', command: 'connect', registration: 'auto', incallVersion: '5.1.23.0', userid: randomUUID() });
      await client.inbox.expect(challenged, '`challenge`', ctx.target.replyMs);
      const line = ctx.target.lines[0] as string;
      const number = ctx.uniqueNumber();
      client.send({ channel: 'intincall', command: 'dial', requestId: ctx.unique('d-'), line: ctx.fullLine(line), number: '+49 30 1234567' });
      const ring = callState(ctx, line, ctx.unique('k'), 'offering', { callerNumber: number });
      await sendEvent(ctx, connector, ring);
      t.step(`watching for ${ctx.target.quietMs} ms`);
      await sleep(ctx.target.quietMs, t.signal);
      await sendEvent(ctx, connector, callState(ctx, line, ring.callId, 'idle'));
      check(client.inbox.filter(isCommand('callNotification')).length === 0, 'an unproven client received a call notification');
      check(connector.inbox.filter(isCommand('makeCall')).length === 0, 'an unproven client\'s dial reached the connector as makeCall');
    },
  },
  {
    id: 'M-FRM-05', group: 'malformed', clause: '§2.2', level: 'MUST',
    title: 'a WebSocket message over 65,535 bytes is refused with close 1009',
    async run(ctx, t) {
      const peer = await openClient(ctx, t);
      peer.sendText(connectXml('intincall', 'auto', '5.1.23.0', `<x>${'a'.repeat(70_000)}</x>`));
      const code = await peer.closesWithin(ctx.target.replyMs);
      check(code === 1009, code === undefined ? 'the manager kept the socket open after a 70,000-byte message' : `the manager closed with ${code}, not 1009`);
    },
  },
  {
    id: 'M-FRM-06', group: 'malformed', clause: '§2.2', level: 'MUST',
    title: 'a binary WebSocket message is refused with close 1003',
    async run(ctx, t) {
      const peer = await openClient(ctx, t);
      peer.sendBinary(Buffer.from(connectXml('intincall', 'auto', '5.1.23.0')));
      const code = await peer.closesWithin(ctx.target.replyMs);
      check(code === 1003, code === undefined ? 'the manager kept the socket open after a binary message' : `the manager closed with ${code}, not 1003`);
    },
  },
  {
    id: 'M-FRM-07', group: 'malformed', clause: '§6', level: 'MUST',
    title: 'an unknown command on intincall is answered with error unknown-command carrying its requestId',
    async run(ctx, t) {
      const peer = await openClient(ctx, t);
      peer.send({ channel: 'intincall', command: 'connect', registration: 'auto', incallVersion: '5.1.23.0' });
      await peer.inbox.expect(challenged, '`challenge`', ctx.target.replyMs);
      const requestId = ctx.unique('r-');
      peer.sendText(`<?xml version="1.0" encoding="utf-8"?><tapiaction name="intincall"><command>teleport</command><requestId>${requestId}</requestId></tapiaction>`);
      const e = await peer.inbox.expect<ErrorMessage>((m) => m.command === 'error' && m.code === 'unknown-command', 'error unknown-command', ctx.target.replyMs);
      check(e.requestId === requestId, `the error carries requestId ${e.requestId ?? '(none)'}, not ${requestId}`);
    },
  },
  {
    id: 'M-ENT-01', group: 'entitlement', clause: 'DESIGN identity, §8 welcome', level: 'MUST', needs: ['proof'],
    title: 'welcome lists no line the user is not entitled to',
    async run(ctx, t) {
      await playConnector(ctx, t);
      const { welcome } = await signIn(ctx, t);
      check(!welcome.lines.some((l) => l.line === ctx.fullLine(ctx.unassignedLine)), `welcome lists ${ctx.fullLine(ctx.unassignedLine)}, a line no user is entitled to`);
    },
  },
  {
    id: 'M-ENT-02', group: 'entitlement', clause: 'DESIGN identity, §7.2', level: 'MUST', needs: ['proof'],
    title: 'a proven client never receives a call on a line it is not entitled to',
    async run(ctx, t) {
      const { peer: connector } = await playConnector(ctx, t);
      const { peer, welcome } = await signIn(ctx, t);
      const foreign = callState(ctx, ctx.unassignedLine, ctx.unique('k'), 'offering', { callerNumber: ctx.uniqueNumber() });
      await sendEvent(ctx, connector, foreign);
      // Bound "never" by a later call the user does see, where there is one; else by the quiet time.
      const mine = welcome.lines.find((l) => ctx.target.lines.some((n) => ctx.fullLine(n) === l.line));
      if (mine !== undefined) {
        const line = entitledLine(ctx, welcome);
        const number = ctx.uniqueNumber();
        const ring = callState(ctx, line, ctx.unique('k'), 'offering', { callerNumber: number });
        await sendEvent(ctx, connector, ring);
        await notificationOf(ctx, peer, line, number, 'offering', 'the notification of a later call on an entitled line');
        await sendEvent(ctx, connector, callState(ctx, line, ring.callId, 'idle'));
      } else {
        await sleep(ctx.target.quietMs, t.signal);
      }
      await sendEvent(ctx, connector, callState(ctx, ctx.unassignedLine, foreign.callId, 'idle'));
      const leaked = peer.inbox.filter((m) => m.command === 'callNotification' && m.line === ctx.fullLine(ctx.unassignedLine));
      check(leaked.length === 0, `the client received ${leaked.length} notification(s) of ${ctx.fullLine(ctx.unassignedLine)}, a line it is not entitled to`);
    },
  },
  {
    id: 'M-ENT-03', group: 'entitlement', clause: '§7.3', level: 'MUST', needs: ['proof'],
    title: 'dial on a line the user is not entitled to is refused (dialResult ok=false) and no makeCall is sent',
    async run(ctx, t) {
      const { peer: connector } = await playConnector(ctx, t);
      const { peer } = await signIn(ctx, t);
      const requestId = ctx.unique('d-');
      peer.send({ channel: 'intincall', command: 'dial', requestId, line: ctx.fullLine(ctx.unassignedLine), number: '+49 30 1234567' });
      const r = await peer.inbox.expect<DialResultMessage>((m) => m.command === 'dialResult' && m.requestId === requestId, `dialResult for ${requestId}`, ctx.target.replyMs);
      check(!r.ok, 'the manager accepted a dial on a line the user is not entitled to');
      check(r.error !== undefined, 'dialResult ok=false without error');
      check(connector.inbox.filter(isCommand('makeCall')).length === 0, 'a makeCall reached the connector for a line the user is not entitled to');
    },
  },
];

