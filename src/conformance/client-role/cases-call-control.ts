// Client role, group `call-control` (protocol 1.1, spec/protocol.md §7.7):
// the suite plays the manager, welcomes the client with a line that lists
// some controls, tells it of a connected call, makes it act (on-control
// hook) and reads what it shows (show-call hook). A client offers only the
// controls its line lists, sends them on the shown call, shows the state the
// manager reports (never a guess), shows a refusal without changing the call,
// and shows a consultation as belonging to its held call.
import { CALL_CONTROLS } from '../../protocol/index.ts';
import { check, type Case } from '../case.ts';
import { isCommand } from '../inbox.ts';
import { act, actOnNewCall, connectedCall, hangUp, requireHooks, sentControl, shown, tell } from './cc-play.ts';
import type { ClientContext } from './context.ts';
import { clientSession, welcomeFor } from './play.ts';

type C = Case<ClientContext>;

/** Controls that need more than `hold` (or a consultation) on the line. */
const ALL = CALL_CONTROLS;
const BEYOND_HOLD = ['transfer', 'consult', 'completeTransfer', 'cancelConsult', 'conference'];
const timeout = (ctx: ClientContext): number => ctx.target.acceptMs + 4 * ctx.target.hookTimeoutMs + 8 * ctx.target.replyMs;

export const CALL_CONTROL_CASES: C[] = [
  {
    id: 'B-CC-01', group: 'call-control', clause: '§7.7, §8 welcome', level: 'MUST', needs: ['show-call'], timeoutMs: timeout,
    title: 'a control is offered only when the line\'s controls list it, also after a new welcome takes one away',
    async run(ctx, t) {
      requireHooks(ctx, 'show-call');
      const s = await clientSession(ctx, t, ['hold']);
      const call = await connectedCall(ctx, t, s);
      const first = await shown(ctx, t, call, (v) => v.offers.size > 0, 'the controls of the connected call');
      const extra = BEYOND_HOLD.filter((a) => first.offers.has(a));
      check(extra.length === 0, `the client offers ${extra.join(', ')} on a line whose controls are only "hold"`);
      if (!first.offers.has('hold')) t.note('the client does not offer hold although the line lists it (allowed)');
      s.peer.send(welcomeFor(ctx, []));
      await shown(ctx, t, call, (v) => !v.offers.has('hold') && !v.offers.has('unhold'), 'no hold once a new welcome lists no controls');
      hangUp(ctx, s, call);
    },
  },
  {
    id: 'B-CC-02', group: 'call-control', clause: '§7.7, §8 callControl, callNotification', level: 'MUST', needs: ['on-control', 'show-call'], timeoutMs: timeout,
    title: 'hold and resume send callControl hold and unhold on the shown call; the client shows onhold and connected as the manager reports them',
    async run(ctx, t) {
      requireHooks(ctx, 'on-control', 'show-call');
      const s = await clientSession(ctx, t, ['hold']);
      const call = await connectedCall(ctx, t, s);
      for (const [action, state] of [['hold', 'onhold'], ['unhold', 'connected']] as const) {
        const from = s.peer.inbox.messages.length;
        check(await act(ctx, call, action), `the client does not offer ${action} on a ${action === 'hold' ? 'connected' : 'held'} call of a line that lists hold`);
        const m = await sentControl(ctx, s, call, action, from);
        s.peer.send({ channel: 'intincall', command: 'callControlResult', requestId: m.requestId, ok: true });
        tell(ctx, s, call, state);
        await shown(ctx, t, call, (v) => v.state === state, `the call ${state} after ${action}`);
      }
      hangUp(ctx, s, call);
    },
  },
  {
    id: 'B-CC-03', group: 'call-control', clause: '§7.7, §8 callControlResult', level: 'MUST', needs: ['on-control', 'show-call'], timeoutMs: timeout,
    title: 'a hold refused with control-not-supported is shown to the agent and the call stays connected',
    async run(ctx, t) {
      const { s, call, m, from } = await actOnNewCall(ctx, t, ['hold'], 'hold');
      s.peer.send({ channel: 'intincall', command: 'callControlResult', requestId: m.requestId, ok: false, error: { code: 'control-not-supported', message: 'the phone system of this line does not offer hold' } });
      const v = await shown(ctx, t, call, (x) => x.message !== '', 'the refusal');
      check(v.state === 'connected', `after a refused hold the client shows the call ${v.state || '(gone)'}, not connected as before`);
      check(s.peer.inbox.filter(isCommand('error'), from).length === 0, `the client answered the refusal with ${s.peer.inbox.describe(from)}`);
      hangUp(ctx, s, call);
    },
  },
  {
    id: 'B-CC-04', group: 'call-control', clause: '§7.7, §8 callNotification consultationOf', level: 'MUST', needs: ['on-control', 'show-call'], timeoutMs: timeout,
    title: 'consult sends the target on the shown call; the consultation the manager reports is shown as belonging to the held call, with complete and cancel',
    async run(ctx, t) {
      const { s, call: held, m } = await actOnNewCall(ctx, t, ALL, 'consult', '26');
      check(m.target?.replace(/\D/g, '') === '26', `consult carries target "${m.target ?? ''}", not 26`);
      s.peer.send({ channel: 'intincall', command: 'callControlResult', requestId: m.requestId, ok: true });
      tell(ctx, s, held, 'onhold');
      const consult = { callKey: `${held.callKey}-consultation`, number: '26' };
      tell(ctx, s, consult, 'ringback', { direction: 'internal', extension: '26', consultationOf: held.callKey });
      const v = await shown(ctx, t, held, (x) => x.consultation !== '', 'the consultation with the held call');
      check(v.consultation === consult.callKey, `the client shows ${v.consultation} as the held call's consultation, not ${consult.callKey}`);
      const missing = ['completeTransfer', 'cancelConsult'].filter((a) => !v.offers.has(a));
      check(missing.length === 0, `during the consultation the held call offers ${[...v.offers].join(' ') || 'nothing'}, without ${missing.join(' and ')}`);
      hangUp(ctx, s, consult);
      hangUp(ctx, s, held);
    },
  },
  {
    id: 'B-CC-05', group: 'call-control', clause: '§7.7, §8 callControl', level: 'MUST', needs: ['on-control', 'show-call'], timeoutMs: timeout,
    title: 'transfer sends callControl transfer with the number the agent typed as target; the call ending as transferred is taken without error',
    async run(ctx, t) {
      const { s, call, m, from } = await actOnNewCall(ctx, t, ALL, 'transfer', '+49 30 7654321');
      check(m.target?.replace(/[^0-9+]/g, '') === '+49307654321', `transfer carries target "${m.target ?? ''}", not the number typed (+49 30 7654321)`);
      s.peer.send({ channel: 'intincall', command: 'callControlResult', requestId: m.requestId, ok: true });
      hangUp(ctx, s, call, 'transferred');
      await shown(ctx, t, call, (v) => v.offers.size === 0, 'the transferred call without controls');
      check(s.peer.open && s.peer.inbox.filter(isCommand('error'), from).length === 0, `the client answered the transfer's end with ${s.peer.inbox.describe(from)}`);
    },
  },
];
