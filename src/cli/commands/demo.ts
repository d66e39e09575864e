// Placeholder until its issue lands: the command exists so that --help lists it.
import type { Command } from 'commander';
import { fail } from '../output.ts';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Start the whole stack with simulators (npm start) (not yet available)')
    .allowUnknownOption()
    .action(() => fail('not-implemented', 'crm-tapi demo is not implemented yet', 2));
}
