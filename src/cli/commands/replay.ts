// `crm-tapi replay FILE`: plays a recorded PBX session (spec/recording.md)
// through the replay provider and prints each event as a JSON line — what a
// CI pipeline compares against a golden outcome.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ReplayProvider } from '../../connector/providers/replay.ts';
import { readRecordingFile } from '../../connector/recording/format.ts';
import { CrmTapiError } from '../../protocol/errors.ts';
import { fail, stdoutPrinter } from '../output.ts';
import { jsonLines, lineDiff } from './json-diff.ts';
import type { StackOutcome } from './replay-stack.ts';

interface ReplayOptions {
  speed?: string;
  fast?: boolean;
  allowUnfinished?: boolean;
  throughStack?: boolean;
  expect?: string;
  updateGolden?: boolean;
}

/** The golden outcome beside a session: `x.jsonl` → `x.golden.json`. */
export function goldenPath(session: string): string {
  return session.replace(/\.jsonl$/, '') + '.golden.json';
}

async function runThroughStack(file: string, options: ReplayOptions): Promise<void> {
  const { replayThroughStack } = await import('./replay-stack.ts');
  const golden = options.expect ?? (options.updateGolden === true ? goldenPath(file) : undefined);
  let expected: StackOutcome | undefined;
  if (golden !== undefined && existsSync(golden)) {
    try {
      expected = JSON.parse(readFileSync(golden, 'utf8')) as StackOutcome;
    } catch (err) {
      if (options.updateGolden !== true) fail('golden-unreadable', `${golden}: ${(err as Error).message}`);
    }
  } else if (golden !== undefined && options.updateGolden !== true) {
    fail('golden-not-found', `${golden} does not exist; create it with --update-golden`);
  }
  const recording = await readRecordingFile(file, { allowUnfinished: options.allowUnfinished === true });
  const outcome = await replayThroughStack(file, recording, expected?.assignments);
  const text = `${JSON.stringify(outcome, null, 2)}\n`;
  if (options.updateGolden === true && golden !== undefined) {
    writeFileSync(golden, text);
    process.stdout.write(`wrote ${golden}\n`);
    return;
  }
  if (expected === undefined || golden === undefined) {
    process.stdout.write(text);
    return;
  }
  const want = jsonLines(expected);
  const got = jsonLines(outcome);
  if (want.join('\n') === got.join('\n')) {
    process.stdout.write(`ok: ${file} gives the outcome in ${golden} (${Object.keys(outcome.calls).length} calls)\n`);
    return;
  }
  process.stdout.write(`--- ${golden} (expected)\n+++ replay of ${file} (actual)\n${lineDiff(want, got)}\n`);
  fail('outcome-mismatch', `the replay of ${file} differs from ${golden} (diff above; --update-golden accepts the new outcome)`);
}

async function runReplay(file: string, options: ReplayOptions): Promise<void> {
  if ((options.expect !== undefined || options.updateGolden === true) && options.throughStack !== true) fail('invalid-options', '--expect and --update-golden need --through-stack');
  if (options.throughStack === true) {
    if (options.fast === true || options.speed !== undefined) fail('invalid-options', '--through-stack sets its own pace; leave out --speed and --fast');
    try {
      return await runThroughStack(file, options);
    } catch (err) {
      if (err instanceof CrmTapiError) fail(err.code, err.message);
      throw err;
    }
  }
  if (options.fast === true && options.speed !== undefined) fail('invalid-options', 'give either --speed or --fast, not both');
  const speed = options.speed === undefined ? 1 : Number(options.speed);
  if (!(speed > 0 && Number.isFinite(speed))) fail('invalid-speed', `--speed must be a positive number, got "${options.speed ?? ''}"`);
  try {
    const recording = await readRecordingFile(file, { allowUnfinished: options.allowUnfinished === true });
    const replay = new ReplayProvider(recording, { speed, fast: options.fast === true });
    const print = stdoutPrinter(() => void replay.close());
    replay.subscribe((event) => print(`${JSON.stringify(event)}\n`));
    await replay.open();
    await replay.finished;
    await replay.close();
  } catch (err) {
    if (err instanceof CrmTapiError) fail(err.code, err.message);
    throw err;
  }
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('Replay a recorded PBX session and print its events as JSON lines')
    .argument('<file>', 'recording (JSON Lines, see spec/recording.md)')
    .option('--speed <n>', 'play N times faster than recorded (default 1: real time)')
    .option('--fast', 'play as fast as possible')
    .option('--allow-unfinished', 'accept a recording without its end entry (the recorder was interrupted)')
    .option('--through-stack', 'play it through connector, manager and simulated Dataverse and print the outcome per call (docs/replay.md)')
    .option('--expect <golden>', 'with --through-stack: compare the outcome with this golden file; a diff and exit 1 when it differs')
    .option('--update-golden', 'with --through-stack: write the outcome to the golden file (--expect, or SESSION.golden.json beside the session)')
    .action((file: string, options: ReplayOptions) => runReplay(file, options));
}
