// bench/protocol.ts prints, beside its throughput table, the garbage each of our codec's paths makes per
// message beside JSON's for the same message, and one ratio per pair that agrees with the printed rows
// (the README quotes them). Small sizes: the output, not the speed. One round of 20 ms can miss the decode requirement
// on a loaded host (CI did, once), so the test asks that the verdict agree with the table and the exit status, not that
// it be met: whether it is met is the bench's job at full size.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('bench/protocol.ts output', () => {
  it('prints the garbage per message of ours and JSON for three messages, and ratios that agree with them', async () => {
    const { stdout, code } = await run(process.execPath, ['--import', 'tsx', 'bench/protocol.ts', '--rounds', '1', '--ms', '20'], { cwd: ROOT, timeout: 60_000 })
      .then(({ stdout }) => ({ stdout, code: 0 }), (e: { code?: unknown; stdout?: string }) => ({ stdout: e.stdout ?? '', code: e.code }));
    const rows = [...stdout.matchAll(/^(decode|encode) (\w+): (.+?) \((ours|baseline)\)\s+([\d,]+) bytes {2}\((\d+\.\d) per character of the document\)$/gm)].map((m) => ({
      what: `${m[1]} ${m[2]}`, name: m[3], side: m[4], bytes: Number(m[5]!.replaceAll(',', '')),
    }));
    expect(rows.map((r) => `${r.what}: ${r.name}`)).toEqual([
      'decode callState: decodeMessage', 'decode callState: JSON.parse',
      'encode callState: encodeMessage', 'encode callState: JSON.stringify',
      'encode callNotification: encodeMessage', 'encode callNotification: JSON.stringify',
    ]);
    // Every path allocates something: at least the message or the document it makes.
    for (const r of rows) expect(r.bytes).toBeGreaterThan(100);
    for (const what of ['decode callState', 'encode callState', 'encode callNotification']) {
      const [ours, json] = rows.filter((r) => r.what === what);
      const ratio = new RegExp(`^${what}: ours ×(\\d+\\.\\d\\d) JSON's garbage$`, 'm').exec(stdout);
      expect(ratio, what).not.toBeNull();
      // From the unrounded figures: within what rounding the printed bytes to whole numbers can move it.
      expect(Number(ratio![1])).toBeCloseTo(ours!.bytes / json!.bytes, 1);
    }
    // The verdict quotes the table's two decode ratios, and the exit status follows it (1 when missed).
    const verdict = /^requirement (met|NOT met): decode (\d+\.\d\d)× xml2js, the full path alone (\d+\.\d\d)× \(each ≥ (\d+)×\)/m.exec(stdout);
    expect(verdict, stdout).not.toBeNull();
    const tableRatio = (name: string) => new RegExp(`^decode: ${name} \\(ours\\)\\s+[\\d,]+ msg/s\\s+×(\\d+\\.\\d\\d) xml2js`, 'm').exec(stdout)?.[1];
    expect(verdict![2]).toBe(tableRatio('decodeMessage'));
    expect(verdict![3]).toBe(tableRatio('full path only'));
    // Met means both at least the bound, 4× (within the rounding to two decimals); missed means one below.
    const [decode, full, bound] = [Number(verdict![2]), Number(verdict![3]), Number(verdict![4])];
    expect(bound).toBe(4);
    if (verdict![1] === 'met') expect(Math.min(decode, full)).toBeGreaterThanOrEqual(bound - 0.005);
    else expect(Math.min(decode, full)).toBeLessThanOrEqual(bound + 0.005);
    expect(code).toBe(verdict![1] === 'met' ? 0 : 1);
  }, 90_000);
});
