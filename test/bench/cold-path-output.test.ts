// bench/cold-path.ts prints each piece of the popup path hot and cold beside the floor, and a verdict line whose
// sums are those of the table (the README and docs/performance-history.md quote it). Small sizes: the output, not the speed.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('bench/cold-path.ts output', () => {
  it('times every piece hot and after a sleep, and sums the pieces in its verdict', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/cold-path.ts', '--samples', '5', '--sleep-ms', '2'], { cwd: ROOT, timeout: 60_000 });
    const rows = [...stdout.matchAll(/^(\S.*?| {2}its XML: .*?| {2}without the one-pass reader)\s+(\d+\.\d\d)\s+(\d+\.\d\d)\s+(\d+\.\d\d)\s+(\d+\.\d)x$/gm)].map((m) => ({ name: m[1]!.trim(), hot: Number(m[2]), p50: Number(m[3]), p90: Number(m[4]), ratio: Number(m[5]) }));
    expect(rows.map((r) => r.name)).toEqual(['empty function (floor)', 'decode a callState frame', 'without the one-pass reader', 'its XML: flat shortcut', 'its XML: full scan', 'encode a callNotification', 'normalise the caller number', 'phone call id (SHA-1)', 'notification id (randomUUID)']);
    for (const r of rows) {
      expect(r.hot).toBeGreaterThanOrEqual(0);
      expect(r.p90).toBeGreaterThanOrEqual(r.p50);
    }
    // The timing runs the piece, not an empty loop: decoding a frame takes more than the empty function (here some
    // hundred times more, a margin no preemption of the host closes). How two real pieces compare is the bench's
    // figure, not this test's: on CI's loaded host the full path once timed below its own XML shortcut (2.41 against
    // 3.65 µs, the shortcut's batches preempted), so the output test does not order them.
    expect(rows[1]!.hot).toBeGreaterThan(rows[0]!.hot);
    const verdict = /^requirement not checked \(a diagnostic: issue 18 sets no target for it\): the 5 pieces take (\d+\.\d) µs hot and (\d+\.\d) µs cold \(p50\), (\d+\.\d)x$/m.exec(stdout);
    expect(verdict).not.toBeNull();
    // The sum is the popup's pieces: neither the floor nor the three rows beside the decoding.
    const work = rows.filter((r) => r.name !== 'empty function (floor)' && !r.name.startsWith('its XML') && !r.name.startsWith('without'));
    expect(Number(verdict![1])).toBeCloseTo(work.reduce((a, r) => a + r.hot, 0), 0);
    expect(Number(verdict![2])).toBeCloseTo(work.reduce((a, r) => a + r.p50, 0), 0);
  }, 90_000);
});
