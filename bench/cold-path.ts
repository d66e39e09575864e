// bench/cold-path.ts — what pieces of the popup path cost as a popup finds
// them: after the event loop slept (a popup every 5 ms at 200 popups/s), not
// back to back. Each piece is timed hot (thousands of calls in a row, the
// figure a microbenchmark gives) and cold (one call right after a 5 ms sleep,
// the pieces in a new random order each round, so each finds the caches as
// another's work left them), in the same run, beside an empty function as the
// floor; and, beside the decoding, the frame decoded without the one-pass
// reader (src/protocol/decode-flat.ts) and its XML read by the flat-document
// shortcut and by the full scan.
//
//   npx tsx bench/cold-path.ts [--samples 300] [--sleep-ms 5]
//
// A diagnostic for issue 18's first target (docs/performance.md): on this
// host a piece called after a sleep takes several times its hot cost, so the
// popup's latency follows how much code and data a popup touches, not how many
// instructions a hot profile counts. No requirement of its own.
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { effectiveSettings, normalizeIncoming } from '../src/dialing/index.ts';
import { phoneCallIdOf } from '../src/manager/records/ids.ts';
import { decodePayload, decodeUtf8, DEFAULT_XML_LIMITS, encodeMessage, encodeMessageFrame, FrameDecoder, type TapiMessage } from '../src/protocol/index.ts';
import { decodeFully } from '../src/protocol/codec.ts';
import { flatDocument } from '../src/protocol/xml-flat.ts';
import { scanXml } from '../src/protocol/xml-scan.ts';
import { percentile, sleep } from './lib/popups.ts';
import { median, numberArg, verdict } from './support.ts';

const SAMPLES = Math.floor(numberArg('samples', 300));
const SLEEP_MS = numberArg('sleep-ms', 5);

// What bench/manager.ts's popups carry: its connector frame, its settings, a notification of the same shape.
const frame = encodeMessageFrame({
  channel: 'connector', command: 'callState', seq: 5, timestamp: new Date().toISOString(), line: '1234', callId: 'c77', state: 'offering', origin: 'inbound', callerNumber: '030 5001234', snapshot: false,
} as TapiMessage);
const payload = new FrameDecoder().push(Buffer.from(frame))[0];
if (payload === undefined) throw new Error('the frame did not decode');
const dialing = effectiveSettings({ countryCode: '49', internationalPrefix: '00', nationalPrefix: '0', areaCode: '30' }, { maxInternalLength: 3 });
if (!dialing.ok) throw dialing.error;
const settings = dialing.settings;
const notification = {
  channel: 'intincall', command: 'callNotification', notificationId: randomUUID(), callKey: 'bench3.example/c77', timestamp: new Date().toISOString(), line: 'bench3.example:1234',
  state: 'offering', direction: 'inbound', number: '030 5001234', e164: '+49305001234', matches: [{ entity: 'account', id: randomUUID(), name: 'Account 1234', field: 'telephone1' }],
  popup: { openOnlyWhenConnected: false, openRecord: false, position: 1, durationSeconds: 30, openPhoneCallOption: 1 }, phoneCallId: randomUUID(), replayed: false,
} as TapiMessage;
const user = '00000003-0000-4000-8000-000000000012';

// The pieces a popup's `offering` goes through, and three rows beside them (not summed): the frame decoded by
// the codec's full path (what decoding did before the one-pass reader), and its XML read by the flat-document
// shortcut that path takes (src/protocol/xml-flat.ts) and by the full scan.
const pieces: readonly (readonly [name: string, run: (i: number) => unknown, summed?: false])[] = [
  ['empty function (floor)', () => 0, false],
  ['decode a callState frame', () => decodePayload(payload)],
  ['  without the one-pass reader', () => decodeFully(decodeUtf8(payload)), false],
  ['  its XML: flat shortcut', () => flatDocument(decodeUtf8(payload), DEFAULT_XML_LIMITS), false],
  ['  its XML: full scan', () => scanXml(decodeUtf8(payload), DEFAULT_XML_LIMITS), false],
  ['encode a callNotification', () => encodeMessage(notification)],
  ['normalise the caller number', (i) => normalizeIncoming(`030 ${5_000_000 + (i % 5000)}`, settings)],
  ['phone call id (SHA-1)', (i) => phoneCallIdOf(`bench3.example/c${i}`, user)],
  ['notification id (randomUUID)', () => randomUUID()],
];

/** µs per call, back to back: the median of five batches of 2,000 (after 3,000 to warm up). */
function hot(run: (i: number) => unknown): number {
  for (let i = 0; i < 3000; i += 1) run(i);
  const batches: number[] = [];
  for (let b = 0; b < 5; b += 1) {
    const start = performance.now();
    for (let i = 0; i < 2000; i += 1) run(i);
    batches.push(((performance.now() - start) * 1000) / 2000);
  }
  return median(batches);
}

const hotUs = pieces.map(([, run]) => hot(run));
// Cold: each sample sleeps, then times one call of one piece; every round takes each piece once, in a new random
// order (what ran 5 ms before a piece leaves part of the caches warm: a fixed order favours the later pieces).
const coldUs = pieces.map(() => [] as number[]);
const load = loadavg()[0] as number;
const order = pieces.map((_, k) => k);
for (let s = 0; s < SAMPLES; s += 1) {
  for (let j = order.length - 1; j > 0; j -= 1) {
    const r = Math.floor(Math.random() * (j + 1));
    [order[j], order[r]] = [order[r] as number, order[j] as number];
  }
  for (const k of order) {
    const run = (pieces[k] as (typeof pieces)[number])[1];
    await sleep(SLEEP_MS);
    const start = performance.now();
    run(s);
    coldUs[k]!.push((performance.now() - start) * 1000);
  }
}

console.log(`the popup path's pieces, hot (back to back) and cold (one call after a ${SLEEP_MS} ms sleep, ${SAMPLES} samples each); load ${load.toFixed(2)} at the start, ${(loadavg()[0] as number).toFixed(2)} at the end`);
console.log(`${'piece'.padEnd(32)} ${'hot µs'.padStart(8)} ${'cold p50 µs'.padStart(12)} ${'cold p90 µs'.padStart(12)} ${'p50 / hot'.padStart(10)}`);
const rows = pieces.map(([name, , summed], k) => {
  const p50 = percentile(coldUs[k]!, 50);
  const row = { name, hot: hotUs[k]!, p50, p90: percentile(coldUs[k]!, 90), summed: summed !== false };
  console.log(`${name.padEnd(32)} ${row.hot.toFixed(2).padStart(8)} ${row.p50.toFixed(2).padStart(12)} ${row.p90.toFixed(2).padStart(12)} ${(row.p50 / row.hot).toFixed(1).padStart(9)}x`);
  return row;
});
const work = rows.filter((r) => r.summed);
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
verdict({ notChecked: '(a diagnostic: issue 18 sets no target for it)' }, `the ${work.length} pieces take ${sum(work.map((r) => r.hot)).toFixed(1)} µs hot and ${sum(work.map((r) => r.p50)).toFixed(1)} µs cold (p50), ${(sum(work.map((r) => r.p50)) / sum(work.map((r) => r.hot))).toFixed(1)}x`);
