// Connector role, group `call-control` (protocol 1.1, spec/protocol.md §7.7):
// what a connector says its lines can do, and how it answers call-control
// commands it cannot carry out.
import { CALL_CONTROLS } from '../../protocol/index.ts';
import { check, type Case } from '../case.ts';
import type { ConnectorContext } from './context.ts';
import { command, refused } from './cases.ts';
import { session } from './play.ts';

type C = Case<ConnectorContext>;

export const CALL_CONTROL_CASES: C[] = [
  {
    id: 'C-CC-01', group: 'call-control', clause: '§7.7, §8 lines', level: 'SHOULD',
    title: 'the line list says which call controls each line offers (controls, known words only)',
    async run(ctx, t) {
      const s = await session(ctx, t, { ack: true });
      const silent = s.lines.lines.filter((l) => l.controls === undefined).map((l) => l.name);
      check(silent.length === 0, `line(s) ${silent.slice(0, 5).join(', ')} do not say which call controls they offer`);
      for (const line of s.lines.lines) for (const c of line.controls ?? []) check((CALL_CONTROLS as readonly string[]).includes(c), `line ${line.name} lists unknown control ${c}`);
      t.note(s.lines.lines.map((l) => `${l.name}: ${(l.controls ?? []).join(' ') || 'none'}`).slice(0, 5).join('; '));
    },
  },
  {
    id: 'C-CC-02', group: 'call-control', clause: '§7.7, §8 hold, result', level: 'MUST',
    title: 'hold, transfer and completeTransfer of a call that does not exist are refused with result ok=false; the connection stays usable',
    async run(ctx, t) {
      const s = await session(ctx, t, { ack: true });
      const callId = 'no-such-call-conformance';
      const hold = await command(ctx, s, { channel: 'connector', command: 'hold', requestId: ctx.unique('m-'), callId }, 'result for hold of an unknown call');
      check(refused(hold), 'hold of an unknown call was reported ok');
      const transfer = await command(ctx, s, { channel: 'connector', command: 'transfer', requestId: ctx.unique('m-'), callId, dialString: '26' }, 'result for transfer of an unknown call');
      check(refused(transfer), 'transfer of an unknown call was reported ok');
      const complete = await command(ctx, s, { channel: 'connector', command: 'completeTransfer', requestId: ctx.unique('m-'), callId }, 'result for completeTransfer of an unknown call');
      check(refused(complete), 'completeTransfer of an unknown call was reported ok');
    },
  },
];
