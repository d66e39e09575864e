// Client role cases: the handshake with its identity proof, notifications
// (also with elements a newer manager may add), heartbeat, click-to-dial and
// reconnect. The call-control cases (group `call-control`, B-CC-…) are in
// cases-call-control.ts.
import type { DialMessage, ErrorMessage } from '../../protocol/index.ts';
import { check, skip, type Case } from '../case.ts';
import { runHook } from '../hooks.ts';
import { isCommand } from '../inbox.ts';
import { sleep } from '../scope.ts';
import type { ClientContext } from './context.ts';
import { clientSession, LINE, notify } from './play.ts';

type C = Case<ClientContext>;

export const CLIENT_CASES: C[] = [
  {
    id: 'B-HS-01', group: 'handshake', clause: '§7.6, §8 connect', level: 'MUST',
    title: 'the client opens with intincall connect, then proves itself with the challenge\'s nonce and a session record id',
    async run(ctx, t) {
      const s = await clientSession(ctx, t);
      t.note(`connect ${s.connect.registration} ${s.connect.incallVersion}${s.connect.incallClient ? ` (${s.connect.incallClient})` : ''}; session record ${s.prove.sessionRecordId}`);
      await sleep(200, t.signal);
      check(s.peer.open, `the client closed after welcome (${s.peer.inbox.endReason ?? ''})`);
    },
  },
  {
    id: 'B-HS-02', group: 'handshake', clause: '§6', level: 'MUST',
    title: 'a welcome of a different major version (2.0) is refused with error unsupported-version, then the socket is closed',
    async run(ctx, t) {
      const s = await clientSession(ctx, t, undefined, '2.0');
      const from = s.peer.inbox.messages.length;
      const closed = await s.peer.closesWithin(ctx.target.replyMs);
      check(s.peer.inbox.filter((m) => m.command === 'error' && m.code === 'unsupported-version').length > 0, `no error unsupported-version; received: ${s.peer.inbox.describe(from)}`);
      check(closed !== undefined, 'the client kept the socket open after a welcome of protocol 2.0');
    },
  },
  {
    id: 'B-NOT-01', group: 'notifications', clause: '§7.2, §8 callNotification', level: 'MUST',
    title: 'the client takes a call\'s notifications (offering, connected, disconnected) without error and stays connected',
    async run(ctx, t) {
      const s = await clientSession(ctx, t);
      const key = ctx.unique('conformance#call-');
      const from = s.peer.inbox.messages.length;
      for (const state of ['offering', 'connected', 'disconnected'] as const) {
        s.peer.send(notify(ctx, key, '+49301234567', state, state === 'disconnected' ? { endedReason: 'callerHungUp' } : {}));
        await sleep(100, t.signal);
      }
      await sleep(300, t.signal);
      check(s.peer.open, `the client closed on a call notification (${s.peer.inbox.endReason ?? ''})`);
      const errors = s.peer.inbox.filter(isCommand('error'), from);
      check(errors.length === 0, `the client answered call notifications with ${s.peer.inbox.describe(from)}`);
    },
  },
  {
    id: 'B-NOT-02', group: 'notifications', clause: '§6', level: 'MUST',
    title: 'unknown elements in a notification (a newer manager) are ignored: no error, still connected',
    async run(ctx, t) {
      const s = await clientSession(ctx, t);
      const from = s.peer.inbox.messages.length;
      const key = ctx.unique('conformance#call-');
      s.peer.sendText(`<?xml version="1.0" encoding="utf-8"?><tapiaction name="intincall" future="1"><command>callNotification</command><notificationId>n-x</notificationId><callKey>${key}</callKey><timestamp>2024-05-02T08:15:30.125Z</timestamp><line>${LINE}</line><state>offering</state><direction>inbound</direction><number>0301234567</number><matches><match><entity>contact</entity><id>0f8fad5b-d9cb-469f-a165-70867728950e</id><name>Anna</name><field>telephone1</field><score>9</score></match></matches><popup><openOnlyWhenConnected>false</openOnlyWhenConnected><openRecord>false</openRecord><position>1</position><durationSeconds>30</durationSeconds><openPhoneCallOption>946410000</openPhoneCallOption><sound>ring</sound></popup><replayed>false</replayed><priority>high</priority></tapiaction>`);
      s.peer.send(notify(ctx, key, '0301234567', 'disconnected', { endedReason: 'callerHungUp' }));
      await sleep(400, t.signal);
      check(s.peer.open, `the client closed on unknown elements (${s.peer.inbox.endReason ?? ''})`);
      check(s.peer.inbox.filter(isCommand('error'), from).length === 0, `the client answered unknown elements with ${s.peer.inbox.describe(from)}`);
    },
  },
  {
    id: 'B-MAL-01', group: 'malformed', clause: '§5', level: 'MUST',
    title: 'a malformed message from the manager does not break the client: it stays connected and keeps sending heartbeats',
    timeoutMs: (ctx) => ctx.target.acceptMs + ctx.target.heartbeatInterval * 3000 + ctx.target.replyMs,
    async run(ctx, t) {
      const s = await clientSession(ctx, t);
      s.peer.sendText('<?xml version="1.0"?><tapiaction name="intincall"><command>callNotification</command>');
      s.peer.sendText('not xml at all');
      const from = s.peer.inbox.messages.length;
      await s.peer.inbox.expect(isCommand('heartbeat'), 'a heartbeat after the malformed messages', ctx.target.heartbeatInterval * 2000 + ctx.target.replyMs, { from });
    },
  },
  {
    id: 'B-MAL-02', group: 'malformed', clause: '§6', level: 'MUST',
    title: 'an unknown command from the manager is answered with error unknown-command carrying its requestId; the client stays connected',
    async run(ctx, t) {
      const s = await clientSession(ctx, t);
      const from = s.peer.inbox.messages.length;
      const requestId = ctx.unique('x-');
      s.peer.sendText(`<?xml version="1.0" encoding="utf-8"?><tapiaction name="intincall"><command>teleport</command><requestId>${requestId}</requestId></tapiaction>`);
      const e = await s.peer.inbox.expect<ErrorMessage>((m) => m.command === 'error' && m.code === 'unknown-command', 'error unknown-command', ctx.target.replyMs, { from });
      check(e.requestId === requestId, `the error carries requestId ${e.requestId ?? '(none)'}, not ${requestId}`);
      check(s.peer.open, `the client closed on an unknown command (${s.peer.inbox.endReason ?? ''})`);
    },
  },
  {
    id: 'B-HB-01', group: 'heartbeat', clause: '§8 heartbeat', level: 'MUST',
    title: 'an idle client sends heartbeat within the interval announced in welcome',
    timeoutMs: (ctx) => ctx.target.acceptMs + ctx.target.heartbeatInterval * 3000 + ctx.target.replyMs,
    async run(ctx, t) {
      const s = await clientSession(ctx, t);
      const from = s.peer.inbox.messages.length;
      await s.peer.inbox.expect(isCommand('heartbeat'), `heartbeat (interval ${ctx.target.heartbeatInterval} s)`, ctx.target.heartbeatInterval * 2000 + ctx.target.replyMs, { from });
    },
  },
  {
    id: 'B-DIAL-01', group: 'click-to-dial', clause: '§7.3, §8 dial', level: 'MUST', needs: ['on-dial'],
    title: 'click-to-dial sends dial with a requestId on a welcomed line; the client takes the dialResult',
    timeoutMs: (ctx) => ctx.target.acceptMs + ctx.target.hookTimeoutMs + 2 * ctx.target.replyMs,
    async run(ctx, t) {
      if (ctx.target.onDial === undefined) skip('needs --on-dial: a command that makes the client dial CONFORMANCE_NUMBER on CONFORMANCE_LINE');
      const s = await clientSession(ctx, t);
      const number = '+49 30 1234567';
      // A missed call from the number first, so a client can also dial by calling it back.
      const key = ctx.unique('conformance#missed-');
      s.peer.send(notify(ctx, key, number, 'offering'));
      s.peer.send(notify(ctx, key, number, 'disconnected', { endedReason: 'callerHungUp' }));
      await sleep(200, t.signal);
      const from = s.peer.inbox.messages.length;
      await runHook('on-dial', ctx.target.onDial, { CONFORMANCE_LINE: LINE, CONFORMANCE_NUMBER: number }, ctx.target.hookTimeoutMs);
      const dial = await s.peer.inbox.expect<DialMessage>(isCommand('dial'), '`dial` after the on-dial hook', ctx.target.replyMs, { from });
      check(dial.line === LINE, `dial names line ${dial.line}, not the welcomed ${LINE}`);
      check(dial.number.replace(/[^0-9+]/g, '') === number.replace(/[^0-9+]/g, ''), `dial asks for "${dial.number}", not ${number}`);
      s.peer.send({ channel: 'intincall', command: 'dialResult', requestId: dial.requestId, ok: true, dialString: '0301234567' });
      await sleep(300, t.signal);
      check(s.peer.open, `the client closed after dialResult (${s.peer.inbox.endReason ?? ''})`);
    },
  },
  {
    id: 'B-RC-01', group: 'reconnect', clause: '§7.6', level: 'MUST',
    title: 'when the manager closes the socket, the client reconnects and goes through connect and prove again',
    timeoutMs: (ctx) => 3 * ctx.target.acceptMs,
    async run(ctx, t) {
      const first = await clientSession(ctx, t);
      first.peer.close(1001);
      t.step('waiting for the client to come back');
      const again = await clientSession(ctx, t);
      check(again.nonce !== first.nonce, 'the suite reused a nonce');
    },
  },
];
