// Placeholder until its issue lands: the command exists so that --help lists it.
import type { Command } from 'commander';
import { fail } from '../output.ts';

export function registerManager(program: Command): void {
  program
    .command('manager')
    .description('Run the manager service (not yet available)')
    .allowUnknownOption()
    .action(() => fail('not-implemented', 'crm-tapi manager is not implemented yet', 2));
}
