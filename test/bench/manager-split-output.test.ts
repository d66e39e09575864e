// bench/manager-split.ts --codec-relay: the relay that decodes and encodes is measured like the bare relay
// (its clients and connectors in a child process, quiet and with one core busy), printed beside it with
// its ratios, and not judged. Small sizes: the output, not the speed.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('bench/manager-split.ts output', () => {
  it('--codec-relay: rows for the codec relay quiet and with one core busy, its p99 over the bare relay\'s and the manager\'s over its own', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/manager-split.ts', '--quick', '--clients', '40', '--rate', '20', '--seconds', '1', '--codec-relay'], { cwd: ROOT, timeout: 120_000 });
    const p99 = (label: string) => {
      const m = new RegExp(`^${label.replace(/[+]/g, '\\+')} +[\\d.]+ +([\\d.]+) +20/20$`, 'm').exec(stdout);
      expect(m, label).not.toBeNull();
      return Number(m![1]);
    };
    const [bareQuiet, codecQuiet, managerQuiet] = [p99('bare relay, quiet'), p99('relay + codec, quiet'), p99('manager, quiet')];
    const [bareBusy, codecBusy, managerBusy] = [p99('bare relay, one core busy'), p99('relay + codec, one core busy'), p99('manager, one core busy')];
    const ratios = /^relay \+ codec p99 \(not judged\): quiet ([\d.]+)x the bare relay, manager ([\d.]+)x it; one core busy ([\d.]+)x the bare relay, manager ([\d.]+)x it$/m.exec(stdout);
    expect(ratios).not.toBeNull();
    // The printed p99s are rounded to 0.01 ms: the ratios agree with them within that.
    const near = (printed: string, a: number, b: number) => expect(Math.abs(Number(printed) - a / b)).toBeLessThanOrEqual(0.02 * (a / b) + 0.02);
    near(ratios![1]!, codecQuiet, bareQuiet);
    near(ratios![2]!, managerQuiet, codecQuiet);
    near(ratios![3]!, codecBusy, bareBusy);
    near(ratios![4]!, managerBusy, codecBusy);
    expect(stdout).toMatch(/^requirement not checked below 10,000 clients/m);
  }, 150_000);
});
