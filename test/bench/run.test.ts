// `npm run bench` (bench/run.ts) knows every script in bench/ — a new
// benchmark without sizes is refused —, runs them all at `--quick` sizes and
// ends with one table whose requirement column comes from each script's own
// verdict line; a missed requirement, a missing verdict or a missing tool fails it.
import { execFile, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { benchScripts, BENCHES, columns, passed, verdictOf } from '../../bench/run.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The whole quick run took 75 s at load average 9.5 on the 2-core machine; this only bounds a hang. */
const WHOLE_RUN_MS = 240_000;

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** bench/run.ts in its own process group, so a hang is ended with every bench process under it. */
function runBench(args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = WHOLE_RUN_MS): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', ...args], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), timeoutMs);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** The table's rows by script: the columns script | sizes | exit | seconds | requirement | figures. */
function table(stdout: string): Map<string, string[]> {
  const text = stdout.slice(stdout.lastIndexOf('\nscript '));
  const lines = text.split('\n').filter((l) => l.includes(' | '));
  expect(lines[0]).toMatch(/^script +\| sizes +\| exit \| seconds \| requirement +\| figures/);
  return new Map(lines.slice(1).map((l) => l.split(' | ').map((c) => c.trim())).map((cells) => [cells[0]!, cells]));
}

describe('npm run bench', () => {
  it('has full and quick sizes for every script in bench/', () => {
    expect(benchScripts().length).toBeGreaterThanOrEqual(8);
    expect(Object.keys(BENCHES).sort()).toEqual(benchScripts());
  });

  it('runs every script at --quick sizes: each exits 0 with its verdict, the table lists them all, the run exits 0', async () => {
    const { status, stdout, stderr } = await runBench(['--quick']);
    const rows = table(stdout);
    expect([...rows.keys()].sort()).toEqual(benchScripts());
    for (const [name, [, sizes, exit, , requirement, figures]] of rows) {
      // On failure, say why: the script's own output and everything on stderr.
      const output = stdout.slice(stdout.indexOf(`=== bench/${name}.ts`)).split('\n=== ')[0];
      expect(exit, `bench/${name}.ts exited ${exit}:\n${output}\nstderr:\n${stderr.slice(-3000)}`).toBe('0');
      expect(sizes).toBe(BENCHES[name]!.quick.join(' ') || '(defaults)');
      // simulator checks its requirement at any size (its quick sizes are its defaults); the others say what small sizes check.
      expect(['met', 'not checked at --quick']).toContain(requirement);
      expect(figures).not.toBe('');
    }
    // protocol prints its ratios unjudged below its default 15 rounds of 150 ms (one slow round moves a short run).
    expect(rows.get('protocol')?.[4]).toBe('not checked at --quick');
    expect(rows.get('protocol')?.[5]).toMatch(/^below 15 rounds of 150 ms: decode \d+\.\d\d× xml2js, the full path alone \d+\.\d\d×/);
    expect(rows.get('simulator')?.[4]).toBe('met');
    expect(rows.get('outbox')?.[5]).toMatch(/nothing lost is checked\): through the outbox .*× sequential direct writes/);
    expect(stdout).toContain(`\nall ${benchScripts().length} benchmarks passed\n`);
    expect(status).toBe(0);
  }, WHOLE_RUN_MS + 10_000);

  it('a missing SIP tool is no silent pass: the row names it and the run exits 1', async () => {
    const { status, stdout } = await runBench(['--quick', '--only', 'sip'], { ...process.env, CRM_TAPI_KAMAILIO: '/nonexistent/kamailio', CRM_TAPI_SIPP: '/nonexistent/sipp' }, 60_000);
    const sip = table(stdout).get('sip');
    expect(sip?.[2]).toBe('1');
    expect(sip?.[4]).toBe('not checked (SIP tools missing: kamailio (/nonexistent/kamailio): apt-get install --no-install-recommends kamailio; sipp (/nonexistent/sipp): apt-get install --no-install-recommends sip-tester)');
    expect(sip?.[5]).toBe('no call was made');
    expect(stdout).toContain('\nfailed: sip\n');
    expect(status).toBe(1);
  }, 70_000);

  it('refuses a name that is not a benchmark with status 2', async () => {
    const err = await run(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--only', 'nope'], { cwd: ROOT }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2, stderr: expect.stringContaining('error: invalid-option: --only nope: not in bench/') });
  }, 60_000);
});

describe('verdicts (bench/support.ts writes them, bench/run.ts reads them)', () => {
  const support = new URL('../../bench/support.ts', import.meta.url).href;
  it.each([
    [true, 0, 'requirement met: 5.8× xml2js (≥ 4×)'],
    [false, 1, 'requirement NOT met: 5.8× xml2js (≥ 4×)'],
    [{ notChecked: 'below 1,000 calls (delivery is checked)' }, 0, 'requirement not checked below 1,000 calls (delivery is checked): 5.8× xml2js (≥ 4×)'],
  ] as const)('verdict(%j) prints its line and exits %i', async (outcome, code, line) => {
    const script = `import(${JSON.stringify(support)}).then((m) => m.verdict(${JSON.stringify(outcome)}, '5.8× xml2js (≥ 4×)'))`;
    const result = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT }).then(
      (r) => ({ code: 0, stdout: r.stdout }),
      (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
    );
    expect(result).toEqual({ code, stdout: `${line}\n` });
  }, 60_000);

  const words = fc.stringMatching(/^[a-z0-9,.:×≥ ()-]{0,40}$/).map((s) => s.trim());
  // A head may hold colons inside balanced parentheses ("not checked (tools missing: kamailio)").
  const why = fc.tuple(fc.stringMatching(/^[a-z0-9,.×≥ -]{1,20}$/), fc.option(fc.stringMatching(/^[a-z0-9,.:×≥ -]{0,20}$/))).map(([a, b]) => (b === null ? a.trim() : `${a.trim()} (${b})`));
  const head = fc.oneof(fc.constant('met'), fc.constant('NOT met'), why.filter((w) => w !== '').map((w) => `not checked ${w}`), why.map((w) => `met (${w})`));
  test.prop([head, words, fc.array(words, { maxLength: 4 }), fc.array(words, { maxLength: 4 })])(
    'the last requirement line is the verdict, whatever is printed around it',
    (h, figures, before, after) => {
      const out = [...before, 'requirement NOT met: an earlier line', ...before, `requirement ${h}: ${figures}`, ...after.filter((l) => !l.startsWith('requirement'))].join('\n');
      expect(verdictOf(out)).toEqual({ head: h, figures });
    },
  );

  it('passes met and not checked with exit 0; fails NOT met, a missing verdict or a non-zero exit', () => {
    const v = (out: string) => verdictOf(out);
    expect(passed(0, v('x\nrequirement met: 3×'))).toBe(true);
    expect(passed(0, v('requirement not checked below 10 calls: 3×'))).toBe(true);
    expect(passed(0, v('requirement NOT met: 1×'))).toBe(false);
    expect(passed(0, v('figures only, no verdict'))).toBe(false);
    expect(passed(1, v('requirement met: 3×'))).toBe(false);
    expect(passed(null, v('requirement met: 3×'))).toBe(false);
  });

  it('the requirement column: not checked at --quick (with what was checked leading the figures), else the script’s words', () => {
    expect(columns(0, verdictOf('requirement not checked below 500 writes (nothing lost is checked): 2.3×'), true)).toEqual({ requirement: 'not checked at --quick', figures: 'below 500 writes (nothing lost is checked): 2.3×' });
    expect(columns(0, verdictOf('requirement met (below 2,000 clients only delivery is checked): p99 4x'), true)).toEqual({ requirement: 'not checked at --quick', figures: 'below 2,000 clients only delivery is checked: p99 4x' });
    expect(columns(0, verdictOf('requirement met: 6×'), true)).toEqual({ requirement: 'met', figures: '6×' });
    expect(columns(1, verdictOf('requirement NOT met: 1.2 s (≤ 1 s)'), false)).toEqual({ requirement: 'NOT met', figures: '1.2 s (≤ 1 s)' });
    expect(columns(1, verdictOf('requirement not checked (tools missing): no call'), true)).toEqual({ requirement: 'not checked (tools missing)', figures: 'no call' });
    expect(columns(0, verdictOf('last line'), true)).toEqual({ requirement: 'no verdict printed', figures: 'last line' });
  });
});
