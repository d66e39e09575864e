// Manager role, group `call-control` (protocol 1.1, spec/protocol.md §7.7):
// the suite plays a connector whose lines list their controls and a proven
// client on one of them. A client's control on its own call must reach the
// connector as the matching command and its result come back; a control on
// someone else's line, one the line does not offer, or a target the dialing
// rules refuse must be refused without a command; consultations must reach
// the client linked to their held call.
import type { CallControl, WelcomeMessage } from '../../protocol/index.ts';
import { check, type Case } from '../case.ts';
import { isCommand } from '../inbox.ts';
import { carry, ccWorld, connectedCall, consultation, control, forwarded, guessKey, hangUp, nothingForwardedBefore, onHeld, refusal, report, stateOf } from './cc-play.ts';
import type { ManagerContext } from './context.ts';
import { callState, reportLines, sendEvent } from './play.ts';

type C = Case<ManagerContext>;
const NEEDS = ['proof', 'entitled-line'] as const;

function controlsIn(welcome: WelcomeMessage, line: string): readonly CallControl[] | undefined {
  return welcome.lines.find((l) => l.line === line)?.controls;
}

const same = (a: readonly string[] | undefined, b: readonly string[]): boolean => a !== undefined && a.length === b.length && b.every((x) => a.includes(x));

export const CALL_CONTROL_CASES: C[] = [
  {
    id: 'M-CC-01', group: 'call-control', clause: '§7.7, §8 welcome', level: 'MUST', needs: NEEDS,
    title: 'welcome carries the controls the connector listed for the user\'s line',
    async run(ctx, t) {
      const w = await ccWorld(ctx, t, ['hold', 'transfer']);
      const got = controlsIn(w.client.welcome, ctx.fullLine(w.line));
      check(same(got, ['hold', 'transfer']), `welcome lists controls ${got === undefined ? '(none)' : `"${got.join(' ')}"`} for ${ctx.fullLine(w.line)}, not "hold transfer" as the connector listed`);
    },
  },
  {
    id: 'M-CC-02', group: 'call-control', clause: '§7.7, §8 welcome', level: 'MUST', needs: NEEDS,
    title: 'when the connector lists other controls for a line, the client gets welcome again with them',
    async run(ctx, t) {
      const w = await ccWorld(ctx, t);
      const from = w.client.peer.inbox.messages.length;
      await reportLines(ctx, t, w.connector.peer, ['transfer']);
      const again = await w.client.peer.inbox.expect<WelcomeMessage>(isCommand('welcome'), 'a new welcome after the line\'s controls changed', ctx.target.replyMs, { from, keepCursor: true });
      const got = controlsIn(again, ctx.fullLine(w.line));
      check(same(got, ['transfer']), `the new welcome lists controls "${got?.join(' ') ?? '(none)'}", not "transfer"`);
    },
  },
  {
    id: 'M-CC-03', group: 'call-control', clause: '§7.7, §8 hold, unhold', level: 'MUST', needs: NEEDS,
    title: 'hold and unhold of the user\'s connected call become hold and unhold of that call on the connector; the results and the onhold state reach the client',
    async run(ctx, t) {
      const w = await ccWorld(ctx, t);
      const call = await connectedCall(ctx, t, w);
      for (const [action, state] of [['hold', 'onhold'], ['unhold', 'connected']] as const) {
        const from = w.client.peer.inbox.messages.length;
        const sent = await control(ctx, t, w, call.callKey, action);
        const c = await carry(ctx, w, sent, action);
        check(c.callId === call.callId, `${action} names call ${c.callId}, not ${call.callId}`);
        const r = await sent.result();
        check(r.ok, `callControlResult ok=false (${r.error?.code ?? ''}) for ${action} although the connector answered ok`);
        await report(ctx, w, call, state);
        await stateOf(ctx, w, call.callKey, state, `callNotification(${state}) after ${action}`, from);
      }
      await hangUp(ctx, w, call);
    },
  },
  {
    id: 'M-CC-04', group: 'call-control', clause: '§7.7, §8 transfer', level: 'MUST', needs: NEEDS,
    title: 'a blind transfer becomes transfer on the connector with the target converted by the line\'s dialing rules; the call ends for the client as transferred',
    async run(ctx, t) {
      const w = await ccWorld(ctx, t);
      const call = await connectedCall(ctx, t, w);
      const from = w.client.peer.inbox.messages.length;
      const sent = await control(ctx, t, w, call.callKey, 'transfer', '+49 (30) 1234-567');
      const c = await carry(ctx, w, sent, 'transfer');
      check(c.callId === call.callId, `transfer names call ${c.callId}, not ${call.callId}`);
      const dialString = c.dialString ?? '';
      check(/^[0-9*#+]+$/.test(dialString) && dialString.endsWith('1234567'), `transfer carries dial string "${dialString}", not the target converted by the dialing rules`);
      t.note(`target "+49 (30) 1234-567" → dial string ${dialString}`);
      check((await sent.result()).ok, 'callControlResult ok=false although the connector carried out the transfer');
      await hangUp(ctx, w, call, 'transferred');
      const end = await stateOf(ctx, w, call.callKey, 'disconnected', 'callNotification(disconnected) of the transferred call', from);
      check(end.endedReason === 'transferred', `the transferred call ended for the client with endedReason ${end.endedReason ?? '(none)'}`);
    },
  },
  {
    id: 'M-CC-05', group: 'call-control', clause: '§7.7, §8 consult, completeTransfer, callNotification', level: 'MUST', needs: NEEDS,
    title: 'consult becomes consult on the connector; the consultation reaches the client under its own key with consultationOf the held call; completeTransfer names the held call',
    async run(ctx, t) {
      const w = await ccWorld(ctx, t);
      const { held, consult } = await consultation(ctx, t, w);
      const from = await onHeld(ctx, t, w, held, 'completeTransfer');
      await hangUp(ctx, w, consult, 'transferred');
      await hangUp(ctx, w, held, 'transferred');
      for (const call of [held, consult]) {
        const end = await stateOf(ctx, w, call.callKey, 'disconnected', `callNotification(disconnected) of ${call === held ? 'the held call' : 'the consultation'}`, from);
        check(end.endedReason === 'transferred', `after completeTransfer a call ended with endedReason ${end.endedReason ?? '(none)'}, not transferred`);
      }
    },
  },
  {
    id: 'M-CC-06', group: 'call-control', clause: '§7.7, §8 cancelConsult', level: 'MUST', needs: NEEDS,
    title: 'cancelConsult names the held call on the connector; the held call connected again reaches the client',
    async run(ctx, t) {
      const w = await ccWorld(ctx, t);
      const { held, consult } = await consultation(ctx, t, w);
      const from = await onHeld(ctx, t, w, held, 'cancelConsult');
      await hangUp(ctx, w, consult, 'callerHungUp');
      await report(ctx, w, held, 'connected');
      await stateOf(ctx, w, held.callKey, 'connected', 'callNotification(connected) of the call taken back', from);
      await hangUp(ctx, w, held);
    },
  },
  {
    id: 'M-CC-07', group: 'call-control', clause: '§7.7, §8 conference, callNotification', level: 'MUST', needs: NEEDS,
    title: 'conference names the held call on the connector; the consultation ends for the client as conferenced and the held call is connected',
    async run(ctx, t) {
      const w = await ccWorld(ctx, t);
      const { held, consult } = await consultation(ctx, t, w);
      const from = await onHeld(ctx, t, w, held, 'conference');
      await hangUp(ctx, w, consult, 'conferenced');
      await report(ctx, w, held, 'connected');
      const end = await stateOf(ctx, w, consult.callKey, 'disconnected', 'callNotification(disconnected) of the consultation', from);
      check(end.endedReason === 'conferenced', `the consultation ended for the client with endedReason ${end.endedReason ?? '(none)'}, not conferenced`);
      await stateOf(ctx, w, held.callKey, 'connected', 'callNotification(connected) of the conference', from);
      await hangUp(ctx, w, held);
    },
  },
  {
    id: 'M-CC-08', group: 'call-control', clause: 'DESIGN identity, §7.7', level: 'MUST', needs: NEEDS,
    title: 'hold and transfer of a call on a line the user is not entitled to are refused with an error and never reach the connector',
    async run(ctx, t) {
      const w = await ccWorld(ctx, t);
      const mine = await connectedCall(ctx, t, w);
      const foreign = { callId: ctx.unique('k'), number: ctx.uniqueNumber() };
      await sendEvent(ctx, w.connector.peer, callState(ctx, ctx.unassignedLine, foreign.callId, 'offering', { callerNumber: foreign.number }));
      await sendEvent(ctx, w.connector.peer, callState(ctx, ctx.unassignedLine, foreign.callId, 'connected', { callerNumber: foreign.number }));
      const key = guessKey(ctx, mine, foreign.callId);
      const from = w.connector.peer.inbox.messages.length;
      for (const [action, target] of [['hold', undefined], ['transfer', '26']] as const) {
        const r = await refusal(ctx, w, await control(ctx, t, w, key, action, target), `${action} of ${key}, a call on ${ctx.fullLine(ctx.unassignedLine)} (not the user's line),`);
        t.note(`${action}: ${r.error.code}`);
      }
      await nothingForwardedBefore(ctx, t, w, mine, from, 'a control on another user\'s call');
      await sendEvent(ctx, w.connector.peer, callState(ctx, ctx.unassignedLine, foreign.callId, 'idle', { callerNumber: foreign.number }));
      await hangUp(ctx, w, mine);
    },
  },
  {
    id: 'M-CC-09', group: 'call-control', clause: '§7.7, §8 callControlResult', level: 'MUST', needs: NEEDS,
    title: 'a control the line does not list (hold, transfer, consult, conference on a line with empty controls) is refused with control-not-supported and never reaches the connector',
    async run(ctx, t) {
      const w = await ccWorld(ctx, t, []);
      const call = await connectedCall(ctx, t, w);
      const from = w.connector.peer.inbox.messages.length;
      for (const [action, target] of [['hold', undefined], ['transfer', '26'], ['consult', '26'], ['conference', undefined]] as const) {
        const r = await refusal(ctx, w, await control(ctx, t, w, call.callKey, action, target), `${action} on a line whose controls are empty`);
        check(r.error.code === 'control-not-supported', `${action} on a line whose controls are empty was refused with ${r.error.code}, not control-not-supported`);
      }
      await nothingForwardedBefore(ctx, t, w, call, from, 'a control the line does not offer');
      await hangUp(ctx, w, call);
    },
  },
  {
    id: 'M-CC-10', group: 'call-control', clause: '§7.7, §5', level: 'MUST', needs: NEEDS,
    title: 'on a line whose connector did not say (no controls), hold is asked of the connector and its not-supported comes back as control-not-supported',
    async run(ctx, t) {
      const w = await ccWorld(ctx, t, undefined);
      const call = await connectedCall(ctx, t, w);
      const sent = await control(ctx, t, w, call.callKey, 'hold');
      await carry(ctx, w, sent, 'hold', { code: 'not-supported', message: 'the conformance suite\'s line cannot hold' });
      const r = await sent.result();
      check(!r.ok && r.error?.code === 'control-not-supported', `the connector's not-supported came back to the client as ${r.ok ? 'ok' : r.error?.code ?? 'an error without code'}, not control-not-supported`);
      await hangUp(ctx, w, call);
    },
  },
  {
    id: 'M-CC-11', group: 'call-control', clause: '§7.7 targets', level: 'MUST', needs: NEEDS,
    title: 'a transfer or consult target the dialing rules refuse (a call-forwarding code *21*0900…#) gets not-a-phone-number and never reaches the connector',
    async run(ctx, t) {
      const w = await ccWorld(ctx, t);
      const call = await connectedCall(ctx, t, w);
      const from = w.connector.peer.inbox.messages.length;
      for (const action of ['transfer', 'consult'] as const) {
        const r = await refusal(ctx, w, await control(ctx, t, w, call.callKey, action, '*21*09001234567#'), `${action} to *21*09001234567#`);
        check(r.error.code === 'not-a-phone-number', `${action} to *21*09001234567# was refused with ${r.error.code}, not not-a-phone-number`);
      }
      await nothingForwardedBefore(ctx, t, w, call, from, 'a target the dialing rules refuse');
      await hangUp(ctx, w, call);
    },
  },
  {
    id: 'M-CC-12', group: 'call-control', clause: '§7.7 hang up', level: 'MUST', needs: NEEDS,
    title: 'drop of a held call becomes drop of that call on the connector and its result comes back',
    async run(ctx, t) {
      const w = await ccWorld(ctx, t);
      const call = await connectedCall(ctx, t, w);
      await report(ctx, w, call, 'onhold');
      await stateOf(ctx, w, call.callKey, 'onhold', 'callNotification(onhold)');
      const from = w.connector.peer.inbox.messages.length;
      const sent = await control(ctx, t, w, call.callKey, 'drop');
      const c = await carry(ctx, w, sent, 'drop');
      check(c.callId === call.callId, `drop names call ${c.callId}, not ${call.callId}`);
      check((await sent.result()).ok, 'callControlResult ok=false for the drop of a held call although the connector answered ok');
      check(forwarded(w, from).length === 1, `one drop became ${forwarded(w, from).join(', ')} on the connector`);
      await hangUp(ctx, w, call);
    },
  },
];

