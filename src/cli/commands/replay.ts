// Placeholder until its issue lands: the command exists so that --help lists it.
import type { Command } from 'commander';
import { fail } from '../output.ts';

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('Replay a recorded PBX session (not yet available)')
    .allowUnknownOption()
    .action(() => fail('not-implemented', 'crm-tapi replay is not implemented yet', 2));
}
