// `npm run bench` (bench/run.ts) knows every script in bench/ — a new
// benchmark without sizes is refused — and a quick run prints one table.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { benchScripts, BENCHES } from '../../bench/run.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('npm run bench', () => {
  it('has full and quick sizes for every script in bench/', () => {
    expect(benchScripts().length).toBeGreaterThanOrEqual(7);
    expect(Object.keys(BENCHES).sort()).toEqual(benchScripts());
  });

  it('runs a script with --quick and ends with the table', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--quick', '--only', 'dialing'], { cwd: ROOT, timeout: 110_000 });
    const table = stdout.slice(stdout.lastIndexOf('\nscript '));
    expect(table).toMatch(/^\nscript +\| sizes +\| status \| seconds \| last line/);
    expect(table).toMatch(/\ndialing +\| 2000 +\| ok +\| \d+\.\d +\| toDialString .*base/);
  }, 120_000);

  it('refuses a name that is not a benchmark with status 2', async () => {
    const err = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--only', 'nope'], { cwd: ROOT }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2, stderr: expect.stringContaining('error: invalid-option: --only nope: not in bench/') });
  }, 60_000);
});
