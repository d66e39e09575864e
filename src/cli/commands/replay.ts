// `crm-tapi replay FILE`: plays a recorded PBX session (spec/recording.md)
// through the replay provider and prints each event as a JSON line — what a
// CI pipeline compares against a golden outcome.
import type { Command } from 'commander';
import { ReplayProvider } from '../../connector/providers/replay.ts';
import { readRecordingFile } from '../../connector/recording/format.ts';
import { CrmTapiError } from '../../protocol/errors.ts';
import { fail, stdoutPrinter } from '../output.ts';

interface ReplayOptions {
  speed?: string;
  fast?: boolean;
  allowUnfinished?: boolean;
}

async function runReplay(file: string, options: ReplayOptions): Promise<void> {
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
    .action((file: string, options: ReplayOptions) => runReplay(file, options));
}
