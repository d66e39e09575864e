// Placeholder until its issue lands: the command exists so that --help lists it.
import type { Command } from 'commander';
import { fail } from '../output.ts';

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('Run the simulated PBX or the simulated Dataverse, ring a line (not yet available)')
    .allowUnknownOption()
    .action(() => fail('not-implemented', 'crm-tapi simulate is not implemented yet', 2));
}
