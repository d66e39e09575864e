// `npm run bench [-- --quick] [-- --only NAME[,NAME]] [-- --list]`: every
// benchmark in bench/, one after the other (each in its own process, so one
// does not warm or load the next), then one table: script, sizes, status,
// wall time and the script's headline figure (its last line). `--quick`
// passes small sizes for a smoke run; the figures then are not for reading.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Sizes per script: full (what the docs quote) and quick. Every bench/*.ts but the helpers must be here. */
export const BENCHES: Readonly<Record<string, { full: string[]; quick: string[] }>> = {
  protocol: { full: [], quick: [] },
  dialing: { full: ['100000'], quick: ['2000'] },
  simulator: { full: [], quick: [] },
  directory: { full: ['--numbers', '1000000', '--runs', '3'], quick: ['--numbers', '20000', '--runs', '1'] },
  outbox: { full: ['--writes', '500', '--runs', '3'], quick: ['--writes', '50', '--runs', '1'] },
  'connector-buffer': { full: ['--events', '5000', '--runs', '5'], quick: ['--events', '300', '--runs', '1'] },
  // Needs Debian's baresip-core, kamailio and sip-tester (bench/sip.ts says so and exits 1 without them).
  sip: { full: ['--calls', '100', '--rate', '10'], quick: ['--calls', '10', '--rate', '5'] },
  'manager-split': { full: ['--clients', '10000', '--rate', '200', '--seconds', '10'], quick: ['--quick'] },
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
  headline: string;
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
    child.on('close', (status) => {
      const lines = out.trim().split('\n').filter((l) => l.trim() !== '');
      resolve({ name, args: args.join(' ') || '(defaults)', status, seconds: (performance.now() - started) / 1000, headline: (lines.at(-1) ?? '').trim().slice(0, 100) });
    });
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
  const rows = [['script', 'sizes', 'status', 'seconds', 'last line'], ...results.map((r) => [r.name, r.args, r.status === 0 ? 'ok' : `exit ${r.status}`, r.seconds.toFixed(1), r.headline])];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  process.stdout.write(`\n${rows.map((row, i) => `${row.map((c, j) => c.padEnd(widths[j]!)).join(' | ')}${i === 0 ? `\n${widths.map((w) => '-'.repeat(w)).join('-|-')}` : ''}`).join('\n')}\n`);
  return results.every((r) => r.status === 0) ? 0 : 1;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then((status) => (process.exitCode = status));
}
