// Connector role cases: registration and line list, events with increasing
// sequence numbers, commands and refusals, bad frames, keep-alive, and what a
// connector owes a manager that went away and came back (replay, no
// duplicates, no reused numbers). Call-control commands of issue 17 join as
// group `call-control`, ids C-CC-01….
import type { CallStateMessage, ErrorMessage, RegisterMessage, ResultMessage, SyncedMessage, TapiMessage } from '../../protocol/index.ts';
import { check, fail, skip, type Case } from '../case.ts';
import { isCommand } from '../inbox.ts';
import { sleep } from '../scope.ts';
import type { ConnectorContext } from './context.ts';
import { acceptRegister, after, isEvent, offering, ring, session, type Session } from './play.ts';

type C = Case<ConnectorContext>;

const resultFor = (requestId: string) => (m: TapiMessage): boolean => (m.command === 'result' || m.command === 'error') && m.requestId === requestId;

export async function command(ctx: ConnectorContext, s: Session, message: TapiMessage & { requestId: string }, what: string): Promise<ResultMessage | ErrorMessage> {
  const from = s.peer.inbox.messages.length;
  s.peer.send(message);
  return after<ResultMessage | ErrorMessage>(ctx, s.peer, resultFor(message.requestId), what, from);
}

export function refused(r: ResultMessage | ErrorMessage): boolean {
  return r.command === 'error' || (!r.ok && r.error !== undefined);
}

function events(s: Session, from = 0): Extract<TapiMessage, { seq: number }>[] {
  return s.peer.inbox.filter(isEvent, from) as Extract<TapiMessage, { seq: number }>[];
}

function checkIncreasing(list: readonly { seq: number; command: string }[], floor: number, what: string): void {
  let last = floor;
  for (const e of list) {
    check(e.seq > last, `${what}: ${e.command} seq ${e.seq} does not follow ${last} (sequence numbers must increase, never repeat)`);
    last = e.seq;
  }
}

export const CONNECTOR_CASES: C[] = [
  {
    id: 'C-REG-01', group: 'registration', clause: '§7.1', level: 'MUST',
    title: 'the first message is register: protocol 1.x, a host, the connector key',
    async run(ctx, t) {
      const s = await session(ctx, t, { ack: true });
      const r: RegisterMessage = s.register;
      check(r.protocolVersion.split('.')[0] === '1', `register announces protocol ${r.protocolVersion}, not 1.x`);
      if (ctx.target.connectorKey !== undefined) check(r.connectorKey === ctx.target.connectorKey, 'register carries another connector key than the one configured for the suite');
      t.note(`host ${r.host}, connector ${r.connectorVersion}${r.lastAckedSeq === undefined ? '' : `, lastAckedSeq ${r.lastAckedSeq}`}`);
    },
  },
  {
    id: 'C-REG-02', group: 'registration', clause: '§7.1, §8 lines', level: 'MUST',
    title: 'after registered the connector sends its line list (unique names) before any event',
    async run(ctx, t) {
      const s = await session(ctx, t, { ack: true });
      const i = s.peer.inbox.messages.indexOf(s.lines);
      const before = s.peer.inbox.messages.slice(0, i).filter(isEvent);
      check(before.length === 0, `${before.length} event(s) came before the line list`);
      const names = s.lines.lines.map((l) => l.name);
      check(names.length > 0, 'the line list is empty');
      check(new Set(names).size === names.length, `line names repeat: ${names.join(', ')}`);
    },
  },
  {
    id: 'C-REG-03', group: 'registration', clause: '§7.5 synced', level: 'SHOULD',
    title: 'after the line list and the snapshot the connector sends synced, counting the snapshot callStates',
    async run(ctx, t) {
      const s = await session(ctx, t, { ack: true });
      const synced = await s.peer.inbox.expect<SyncedMessage>(isCommand('synced'), '`synced`', ctx.target.replyMs, { from: 0, keepCursor: true });
      const snapshots = s.peer.inbox.filter((m) => m.command === 'callState' && m.snapshot).length;
      if (synced.activeCalls !== undefined) check(synced.activeCalls === snapshots, `synced says ${synced.activeCalls} active calls, the connector sent ${snapshots} snapshot callStates`);
    },
  },
  {
    id: 'C-REG-04', group: 'registration', clause: '§6', level: 'MUST',
    title: 'registered with a higher minor version (1.9) is accepted',
    async run(ctx, t) {
      await session(ctx, t, { ack: true, protocolVersion: '1.9' });
    },
  },
  {
    id: 'C-REG-05', group: 'registration', clause: '§6', level: 'MUST',
    title: 'registered with a different major version (2.0) is refused with error unsupported-version, then close',
    async run(ctx, t) {
      const { peer } = await acceptRegister(ctx, t);
      peer.send({ channel: 'connector', command: 'registered', protocolVersion: '2.0', lastAckedSeq: ctx.acked, keepAliveInterval: ctx.target.keepAliveInterval });
      const closed = await peer.closesWithin(ctx.target.replyMs);
      check(peer.inbox.filter((m) => m.command === 'error' && m.code === 'unsupported-version').length > 0, `no error unsupported-version; received: ${peer.inbox.describe()}`);
      check(peer.inbox.filter(isCommand('lines')).length === 0, 'the connector took protocol 2.0 and sent its line list');
      check(closed, 'the connection stayed open after the refusal');
    },
  },
  {
    id: 'C-EVT-01', group: 'events', clause: '§7.2, §8 callState', level: 'MUST', needs: ['on-ring'],
    title: 'a ringing line is reported as callState(offering, snapshot=false) on a reported line',
    async run(ctx, t) {
      const s = await session(ctx, t, { ack: true });
      const from = s.peer.inbox.messages.length;
      const { line } = await ring(ctx, t, s);
      const e = await offering(ctx, s, line, from);
      check(s.lines.lines.some((l) => l.name === e.line), `callState names line ${e.line}, which is not in the line list`);
      check(e.origin === 'inbound', `an incoming call has origin ${e.origin}`);
    },
  },
  {
    id: 'C-EVT-02', group: 'events', clause: '§7.1, §8', level: 'MUST', needs: ['on-ring'],
    title: 'events carry strictly increasing sequence numbers',
    async run(ctx, t) {
      const s = await session(ctx, t, { ack: true });
      const floor = ctx.maxSeq;
      const from = s.peer.inbox.messages.length;
      const { line } = await ring(ctx, t, s);
      await offering(ctx, s, line, from);
      await sleep(500, t.signal);
      const list = events(s);
      check(list.length >= 2 || floor >= 0, 'fewer than two events to compare; let the ring hook also end the call');
      checkIncreasing(list, -1, 'within one connection');
    },
  },
  {
    id: 'C-CMD-01', group: 'commands', clause: '§8 makeCall, result', level: 'MUST',
    title: 'makeCall on a reported line is answered with result carrying its requestId',
    async run(ctx, t) {
      const s = await session(ctx, t, { ack: true });
      const line = ctx.target.ringLine ?? (s.lines.lines[0]?.name as string);
      const requestId = ctx.unique('m-');
      const r = await command(ctx, s, { channel: 'connector', command: 'makeCall', requestId, line, dialString: '0301234567' }, `result for makeCall ${requestId}`);
      check(r.command === 'result', `makeCall was answered with ${r.command}, not result`);
      t.note(r.ok ? 'makeCall ok' : `makeCall refused: ${r.error?.code ?? ''}`);
      // End whatever was dialled, so the next case starts from a quiet line.
      await sleep(200, t.signal);
      for (const e of s.peer.inbox.filter<CallStateMessage>((m) => m.command === 'callState' && m.line === line)) {
        await command(ctx, s, { channel: 'connector', command: 'drop', requestId: ctx.unique('m-'), callId: e.callId }, 'result for drop').catch(() => undefined);
        break;
      }
    },
  },
  {
    id: 'C-CMD-02', group: 'commands', clause: '§8 makeCall, result', level: 'MUST',
    title: 'makeCall on a line the connector does not have is refused with result ok=false and an error',
    async run(ctx, t) {
      const s = await session(ctx, t, { ack: true });
      const r = await command(ctx, s, { channel: 'connector', command: 'makeCall', requestId: ctx.unique('m-'), line: 'no-such-line-conformance', dialString: '0301234567' }, 'result for makeCall on an unknown line');
      check(refused(r), 'makeCall on an unknown line was reported ok');
    },
  },
  {
    id: 'C-CMD-03', group: 'commands', clause: '§8 drop, result', level: 'MUST',
    title: 'drop of a call that does not exist is refused with result ok=false and an error',
    async run(ctx, t) {
      const s = await session(ctx, t, { ack: true });
      const r = await command(ctx, s, { channel: 'connector', command: 'drop', requestId: ctx.unique('m-'), callId: 'no-such-call-conformance' }, 'result for drop of an unknown call');
      check(refused(r), 'drop of an unknown call was reported ok');
    },
  },
  {
    id: 'C-CMD-04', group: 'commands', clause: '§8 reinitialize', level: 'MUST',
    title: 'reinitialize is answered with result and the line list is sent again',
    async run(ctx, t) {
      const s = await session(ctx, t, { ack: true });
      const from = s.peer.inbox.messages.length;
      const r = await command(ctx, s, { channel: 'connector', command: 'reinitialize', requestId: ctx.unique('m-') }, 'result for reinitialize');
      check(r.command === 'result' && r.ok, `reinitialize failed: ${r.command === 'error' ? r.code : r.error?.code ?? ''}`);
      await after(ctx, s.peer, isCommand('lines'), '`lines` again after reinitialize', from);
    },
  },
  {
    id: 'C-CMD-05', group: 'malformed', clause: '§6', level: 'MUST',
    title: 'an unknown command is answered with error unknown-command carrying its requestId; the connection stays usable',
    async run(ctx, t) {
      const s = await session(ctx, t, { ack: true });
      const requestId = ctx.unique('m-');
      const from = s.peer.inbox.messages.length;
      s.peer.sendXml(`<?xml version="1.0" encoding="utf-8"?><tapiaction name="connector"><command>teleport</command><requestId>${requestId}</requestId></tapiaction>`);
      const e = await after<ErrorMessage>(ctx, s.peer, (m) => m.command === 'error' && m.code === 'unknown-command', 'error unknown-command', from);
      check(e.requestId === requestId, `the error carries requestId ${e.requestId ?? '(none)'}, not ${requestId}`);
      const r = await command(ctx, s, { channel: 'connector', command: 'drop', requestId: ctx.unique('m-'), callId: 'no-such-call-conformance' }, 'result for a drop after the unknown command');
      check(r.command === 'result' || r.command === 'error', 'no answer after the unknown command');
    },
  },
  {
    id: 'C-CMD-06', group: 'malformed', clause: '§5', level: 'MUST',
    title: 'malformed XML gets error malformed-xml and the connection stays usable; an error is never answered with an error',
    async run(ctx, t) {
      const s = await session(ctx, t, { ack: true });
      const from = s.peer.inbox.messages.length;
      s.peer.sendXml('<?xml version="1.0" encoding="utf-8"?><tapiaction name="connector"><command>ack</command>');
      await after(ctx, s.peer, (m) => m.command === 'error' && m.code === 'malformed-xml', 'error malformed-xml', from);
      const mark = s.peer.inbox.messages.length;
      s.peer.send({ channel: 'connector', command: 'error', code: 'conformance-probe', message: 'must not be answered with an error' });
      await command(ctx, s, { channel: 'connector', command: 'drop', requestId: ctx.unique('m-'), callId: 'no-such-call-conformance' }, 'result for a drop after the bad frame');
      check(s.peer.inbox.filter((m) => m.command === 'error' && m.requestId === undefined, mark).length === 0, 'the connector answered an error message with an error');
    },
  },
  {
    id: 'C-CMD-07', group: 'commands', clause: '§7.3, §8 result', level: 'SHOULD',
    title: 'the result of a makeCall that succeeded names the call it placed (callId, 1.2), the id its callState events carry on that line',
    async run(ctx, t) {
      const s = await session(ctx, t, { ack: true });
      const line = ctx.target.ringLine ?? (s.lines.lines[0]?.name as string);
      const from = s.peer.inbox.messages.length;
      const r = await command(ctx, s, { channel: 'connector', command: 'makeCall', requestId: ctx.unique('m-'), line, dialString: '0301234567' }, 'result for makeCall');
      if (r.command !== 'result' || !r.ok) skip(`makeCall on line ${line} was refused (${r.command === 'error' ? r.code : r.error?.code ?? ''}): nothing to check`);
      check(r.callId !== undefined, 'the result of a makeCall that succeeded names no call (callId): the manager cannot tell who dialled it');
      const placed = await after<CallStateMessage>(ctx, s.peer, (m) => m.command === 'callState' && m.callId === r.callId, `callState of call ${r.callId}`, from);
      check(placed.line === line, `call ${r.callId} is reported on line ${placed.line}, not on line ${line} where it was placed`);
      await command(ctx, s, { channel: 'connector', command: 'drop', requestId: ctx.unique('m-'), callId: r.callId }, 'result for drop').catch(() => undefined);
    },
  },
  {
    id: 'C-KA-01', group: 'keep-alive', clause: '§7.1, §8 keepalive', level: 'MUST',
    title: 'an idle connector sends keepalive within the announced interval',
    timeoutMs: (ctx) => ctx.target.keepAliveInterval * 3000 + ctx.target.acceptMs + ctx.target.replyMs,
    async run(ctx, t) {
      const s = await session(ctx, t, { ack: true });
      await sleep(200, t.signal);
      const from = s.peer.inbox.messages.length;
      const limit = ctx.target.keepAliveInterval * 2000 + ctx.target.replyMs;
      await s.peer.inbox.expect(isCommand('keepalive'), `keepalive (interval ${ctx.target.keepAliveInterval} s)`, limit, { from, keepCursor: true });
    },
  },
  {
    id: 'C-RPL-01', group: 'replay', clause: '§7.5', level: 'MUST', needs: ['on-ring'],
    title: 'events not acknowledged are sent again after a reconnect, in order, each once, after the line list',
    async run(ctx, t) {
      const first = await session(ctx, t, { ack: false });
      const from = first.peer.inbox.messages.length;
      const { line } = await ring(ctx, t, first);
      await offering(ctx, first, line, from);
      await sleep(300, t.signal);
      const unacked = events(first).filter((e) => e.seq > ctx.acked);
      t.step('closing the connection without acknowledging');
      first.peer.destroy();
      const again = await session(ctx, t, { ack: true });
      const linesAt = again.peer.inbox.messages.indexOf(again.lines);
      const last = unacked[unacked.length - 1]?.seq as number;
      await again.peer.inbox.expect((m) => isEvent(m) && m.seq >= last, `the replay up to seq ${last}`, ctx.target.replyMs, { from: 0, keepCursor: true });
      const replayed = events(again).filter((e) => e.seq <= last);
      const seqs = replayed.map((e) => e.seq);
      check(again.peer.inbox.messages.findIndex(isEvent) > linesAt, 'replayed events came before the line list');
      check(new Set(seqs).size === seqs.length, `replayed events repeat: ${seqs.join(', ')}`);
      const missing = unacked.filter((e) => !seqs.includes(e.seq)).map((e) => e.seq);
      check(missing.length === 0, `events ${missing.join(', ')} were never acknowledged and not sent again`);
      checkIncreasing(replayed, -1, 'the replay');
    },
  },
  {
    id: 'C-RPL-02', group: 'replay', clause: '§7.5', level: 'MUST', needs: ['on-ring'],
    title: 'acknowledged events are not sent again, and new events continue above every seq used before',
    async run(ctx, t) {
      const first = await session(ctx, t, { ack: true });
      const from = first.peer.inbox.messages.length;
      const { line } = await ring(ctx, t, first);
      await offering(ctx, first, line, from);
      await sleep(300, t.signal);
      const acked = ctx.acked;
      const before = ctx.maxSeq;
      first.peer.destroy();
      const again = await session(ctx, t, { ack: true });
      const from2 = again.peer.inbox.messages.length;
      const r2 = await ring(ctx, t, again);
      await offering(ctx, again, r2.line, from2);
      const old = events(again).filter((e) => e.seq <= acked);
      check(old.length === 0, `acknowledged events were sent again: seq ${old.map((e) => e.seq).join(', ')} (acknowledged up to ${acked})`);
      const fresh = events(again, from2);
      check(fresh.every((e) => e.seq > before), `a new event reuses a sequence number: ${fresh.filter((e) => e.seq <= before).map((e) => e.seq).join(', ')} (highest before the reconnect: ${before})`);
    },
  },
  {
    id: 'C-RPL-03', group: 'replay', clause: '§8 register', level: 'SHOULD',
    title: 'a reconnecting connector claims what it saw acknowledged (register.lastAckedSeq)',
    async run(ctx, t) {
      const first = await session(ctx, t, { ack: true });
      await sleep(200, t.signal);
      first.peer.destroy();
      const again = await session(ctx, t, { ack: true });
      if (ctx.acked <= 0) fail('no event was acknowledged in this run yet; run with --on-ring so there is something to claim');
      check(again.register.lastAckedSeq !== undefined && again.register.lastAckedSeq >= ctx.acked, `register claims lastAckedSeq ${again.register.lastAckedSeq ?? '(none)'}; the suite acknowledged ${ctx.acked}`);
    },
  },
];
