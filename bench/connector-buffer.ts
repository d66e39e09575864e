// Connector buffer benchmark: call events per second pushed into the event
// buffer and acknowledged by the manager, with a BufferFile (SQLite, WAL,
// synchronous = NORMAL) beside the in-run baseline: the in-memory buffer
// doing the same work. Each "turn" pushes a burst of events and ends with the
// commit the service makes at the end of a turn with new events; the
// manager's acknowledgements (one per event, trailing by ACK_LAG) are not
// committed on their own — they ride along with the next commit, as the
// service does under load. Burst 1 (one commit per event) is the worst case.
// A second table adds the wire encoding every event gets anyway (the outbox's
// encodability check and the frame written to the socket) to both sides: the
// journal's cost relative to the connector's own per-event work.
// Run: npx tsx bench/connector-buffer.ts [--events N] [--runs R]
//
// Requirement (exit 1 when missed): with the wire encoding and one commit per
// event (the worst case), the BufferFile carries at least 1,000 call events/s
// — the load issue 3 requires the simulated PBX to drive through a connector —
// checked at 5,000 events × 5 rounds or more (the defaults). No issue set a
// bound for the buffer; this one is derived from that rate and the README's
// claim. The ratio to the in-memory buffer is printed but is no bound: the
// in-memory side's speed is the encoder's, which issue 18 made about 4× faster,
// so the ratio fell (0.45× to 0.2–0.4× at burst 1) while the journal did not
// get slower. At every size every event must be acknowledged and drained with
// no loss record (a round throws otherwise); that is all smaller sizes
// (`npm run bench -- --quick`) check.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { BufferJournal } from '../src/connector/buffer-journal.ts';
import { EventBuffer, type OutgoingEvent } from '../src/connector/event-buffer.ts';
import { encodeMessage, encodeMessageFrame, type TapiMessage } from '../src/protocol/index.ts';
import { intArg, median, verdict } from './support.ts';

const EVENTS = intArg('events', 5000);
const RUNS = intArg('runs', 5);
const BURSTS = [1, 10, 50];
const ACK_LAG = 20; // the manager's acks trail the pushes by this many events
const REQUIRED_RATE = 1000;
const FULL_SIZE = EVENTS >= 5000 && RUNS >= 5;

const at = (i: number): string => new Date(Date.UTC(2024, 0, 1) + i).toISOString();
const event = (i: number): OutgoingEvent => ({
  channel: 'connector',
  command: 'callState',
  timestamp: at(i),
  line: String(20 + (i % 10)),
  callId: `call-${i >> 2}`,
  state: (['offering', 'connected', 'disconnected', 'idle'] as const)[i % 4] ?? 'idle',
  origin: 'inbound',
  callerNumber: '+49301234567',
  callerName: 'Contoso Ltd., Anna Schmidt',
  calledNumber: '21',
  snapshot: false,
});

/** Pushes EVENTS in bursts of `burst`, acknowledging one by one ACK_LAG behind; returns events per second. */
function round(buffer: EventBuffer, burst: number, wire: boolean): number {
  const t = performance.now();
  let acked = 0;
  for (let i = 0; i < EVENTS; i += burst) {
    for (let j = i; j < Math.min(EVENTS, i + burst); j += 1) {
      const e = event(j);
      if (wire) encodeMessage({ ...e, seq: buffer.lastSeq + 1 } as TapiMessage);
      buffer.push(e, at(j));
    }
    buffer.flush();
    if (wire) for (const m of buffer.after(buffer.lastSeq - Math.min(burst, buffer.size))) encodeMessageFrame(m);
    while (acked < buffer.lastSeq - ACK_LAG) {
      acked += 1;
      buffer.ack(acked);
    }
  }
  while (acked < buffer.lastSeq) {
    acked += 1;
    buffer.ack(acked);
  }
  buffer.flush();
  const seconds = (performance.now() - t) / 1000;
  if (buffer.size !== 0 || buffer.stats.lostTotal !== 0) throw new Error('the buffer did not drain');
  return EVENTS / seconds;
}

const dir = mkdtempSync(join(tmpdir(), 'bench-connector-buffer-'));
const rows: string[] = [];
let worst = { rate: Number.NaN, ratio: Number.NaN };
try {
  for (const [wire, burst] of [false, true].flatMap((w) => BURSTS.map((b) => [w, b] as const))) {
    if (burst === BURSTS[0]) rows.push(wire ? 'with the wire encoding every event gets anyway (check + frame):' : 'buffer only:');
    const memory: number[] = [];
    const durable: number[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      memory.push(round(new EventBuffer(EVENTS + 10), burst, wire));
      const journal = BufferJournal.open(join(dir, `${wire ? 'w' : 'b'}${burst}-r${run}.sqlite`), { host: 'bench' });
      try {
        durable.push(round(new EventBuffer(EVENTS + 10, { store: journal, restored: journal.takeRestored() }), burst, wire));
      } finally {
        journal.close();
      }
    }
    const m = median(memory);
    const d = median(durable);
    if (wire && burst === 1) worst = { rate: d, ratio: d / m };
    rows.push(`  burst ${String(burst).padStart(2)}: in-memory ${Math.round(m).toLocaleString('en')} ev/s, BufferFile ${Math.round(d).toLocaleString('en')} ev/s, ratio ${(d / m).toFixed(3)} (BufferFile / in-memory)`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`connector buffer: ${EVENTS} events pushed and acknowledged per round, median of ${RUNS} rounds, Node ${process.version}`);
for (const row of rows) console.log(row);
const figures = `BufferFile with the wire encoding, one commit per event: ${Math.round(worst.rate).toLocaleString('en')} events/s (≥ ${REQUIRED_RATE.toLocaleString('en')}), ${worst.ratio.toFixed(2)}× the in-memory buffer; every event drained, none lost`;
verdict(FULL_SIZE ? worst.rate >= REQUIRED_RATE : { notChecked: 'below 5,000 events × 5 rounds (nothing lost is checked)' }, figures);
