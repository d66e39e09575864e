// Placeholder until its issue lands: the command exists so that --help lists it.
import type { Command } from 'commander';
import { fail } from '../output.ts';

export function registerDialing(program: Command): void {
  program
    .command('dialing')
    .description('Convert numbers with the dialing rules (not yet available)')
    .allowUnknownOption()
    .action(() => fail('not-implemented', 'crm-tapi dialing is not implemented yet', 2));
}
