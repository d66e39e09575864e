// Placeholder until its issue lands: the command exists so that --help lists it.
import type { Command } from 'commander';
import { fail } from '../output.ts';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('Verify the CRM connection parameters (not yet available)')
    .allowUnknownOption()
    .action(() => fail('not-implemented', 'crm-tapi check is not implemented yet', 2));
}
