// Placeholder until its issue lands: the command exists so that --help lists it.
import type { Command } from 'commander';
import { fail } from '../output.ts';

export function registerDiagnose(program: Command): void {
  program
    .command('diagnose')
    .description('Ask a running manager for its diagnose report (not yet available)')
    .allowUnknownOption()
    .action(() => fail('not-implemented', 'crm-tapi diagnose is not implemented yet', 2));
}
