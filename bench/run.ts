// `npm run bench [-- --quick] [-- --only NAME[,NAME]] [-- --list]`: every
// benchmark in bench/, one after the other (each in its own process, so one
// does not warm or load the next), then one table: script, sizes, exit status,
// wall time, the script's verdict on its own requirement and its figures (its
// `requirement …` line, bench/support.ts `verdict`). `--quick` passes small
// sizes for a smoke run: the figures then are not for reading, and most
// scripts check only that nothing was lost ("not checked at --quick").
// Exits 1 when any script exited non-zero, printed no verdict, or reported its
// requirement NOT met.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Sizes per script: full (what the docs quote) and quick. Every bench/*.ts but the helpers must be here. */
export const BENCHES: Readonly<Record<string, { full: string[]; quick: string[] }>> = {
  protocol: { full: [], quick: ['--rounds', '3', '--ms', '50'] },
  dialing: { full: ['100000'], quick: ['2000'] },
  simulator: { full: [], quick: [] },
  directory: { full: ['--numbers', '1000000', '--runs', '3'], quick: ['--numbers', '20000', '--runs', '1'] },
  outbox: { full: ['--writes', '500', '--runs', '3'], quick: ['--writes', '50', '--runs', '1'] },
  'connector-buffer': { full: ['--events', '5000', '--runs', '5'], quick: ['--events', '300', '--runs', '1'] },
  // Needs Debian's baresip-core, kamailio and sip-tester: without them bench/sip.ts names what is missing and exits 1.
  sip: { full: ['--calls', '100', '--rate', '10'], quick: ['--calls', '10', '--rate', '10'] },
  'manager-split': { full: ['--clients', '10000', '--rate', '200', '--seconds', '10'], quick: ['--quick'] },
  'cold-path': { full: ['--samples', '300'], quick: ['--samples', '20'] },
  'dataverse-batch': { full: [], quick: ['--records', '100', '--rounds', '1', '--sizes', '1,10'] },
  manager: { full: ['--clients', '2000', '--rate', '200', '--seconds', '10', '--backlog', '2000'], quick: ['--clients', '50', '--rate', '20', '--seconds', '2', '--backlog', '50'] },
};
export const HELPERS = ['support', 'run'];

const dir = fileURLToPath(new URL('.', import.meta.url));

export function benchScripts(): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3)).filter((n) => !HELPERS.includes(n)).sort();
}

interface Result {
  name: string;
  args: string;
  status: number | null;
  seconds: number;
  stdout: string;
}

/** What a script's output says about its requirement: the last `requirement …` line. */
export interface Verdict {
  /** `met`, `NOT met`, `not checked …` (the words before the colon), or undefined when none was printed. */
  readonly head: string | undefined;
  /** The figures after the colon; the last line of output when there is no verdict line. */
  readonly figures: string;
}

export function verdictOf(stdout: string): Verdict {
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const line = lines.findLast((l) => /^requirement (met|NOT met|not checked)\b/.test(l));
  if (line === undefined) return { head: undefined, figures: lines.at(-1) ?? '' };
  // The head ends at the first colon outside parentheses: "not checked (tools missing: kamailio (…): …): figures".
  let depth = 0;
  for (let i = 'requirement '.length; i < line.length; i += 1) {
    const c = line[i];
    if (c === '(') depth += 1;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === ':' && depth === 0 && (i + 1 === line.length || line[i + 1] === ' ')) return { head: line.slice('requirement '.length, i), figures: line.slice(i + 2) };
  }
  return { head: line.slice('requirement '.length), figures: '' };
}

/** A run passes when it exited 0 and its verdict is met or not checked (at sizes too small to judge). */
export function passed(status: number | null, v: Verdict): boolean {
  return status === 0 && v.head !== undefined && !v.head.startsWith('NOT met');
}

/**
 * The table's requirement and figures columns. The requirement is met, NOT
 * met, "not checked at --quick" (a script that judged only what its small
 * sizes allow: `not checked WHY`, or a qualified `met (WHY)`, whose WHY then
 * leads the figures), or the script's own words.
 */
export function columns(status: number | null, v: Verdict, quick: boolean): { requirement: string; figures: string } {
  if (v.head === undefined) return { requirement: 'no verdict printed', figures: v.figures };
  const partial = /^not checked (.+)$/.exec(v.head) ?? /^met \((.+)\)$/.exec(v.head);
  if (partial !== null && status === 0 && quick) return { requirement: 'not checked at --quick', figures: `${partial[1]!}: ${v.figures}` };
  return { requirement: v.head, figures: v.figures };
}

function runOne(name: string, args: string[]): Promise<Result> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `${dir}${name}.ts`, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      process.stdout.write(d);
    });
    child.on('close', (status) => resolve({ name, args: args.join(' ') || '(defaults)', status, seconds: (performance.now() - started) / 1000, stdout: out }));
  });
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const scripts = benchScripts();
  const missing = scripts.filter((s) => BENCHES[s] === undefined);
  if (missing.length > 0) {
    process.stderr.write(`error: bench-unknown: bench/run.ts has no sizes for ${missing.join(', ')}; add them to BENCHES\n`);
    return 2;
  }
  if (argv.includes('--list')) {
    for (const s of scripts) process.stdout.write(`${s}\n`);
    return 0;
  }
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',').filter(Boolean) : scripts;
  const unknown = only.filter((s) => !scripts.includes(s));
  if (unknown.length > 0) {
    process.stderr.write(`error: invalid-option: --only ${unknown.join(', ')}: not in bench/ (${scripts.join(', ')})\n`);
    return 2;
  }
  const quick = argv.includes('--quick');
  const results: Result[] = [];
  for (const name of only) {
    process.stdout.write(`\n=== bench/${name}.ts ${quick ? '(quick)' : ''}\n`);
    results.push(await runOne(name, quick ? BENCHES[name]!.quick : BENCHES[name]!.full));
  }
  const rows = [
    ['script', 'sizes', 'exit', 'seconds', 'requirement', 'figures'],
    ...results.map((r) => {
      const c = columns(r.status, verdictOf(r.stdout), quick);
      return [r.name, r.args, String(r.status ?? 'signal'), r.seconds.toFixed(1), c.requirement, c.figures.slice(0, 200)];
    }),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  process.stdout.write(`\n${rows.map((row, i) => `${row.map((c, j) => c.padEnd(widths[j]!)).join(' | ')}${i === 0 ? `\n${widths.map((w) => '-'.repeat(w)).join('-|-')}` : ''}`).join('\n')}\n`);
  const failed = results.filter((r) => !passed(r.status, verdictOf(r.stdout))).map((r) => r.name);
  process.stdout.write(failed.length === 0 ? `\nall ${results.length} benchmarks passed\n` : `\nfailed: ${failed.join(', ')}\n`);
  return failed.length === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then((status) => (process.exitCode = status));
}
