// Placeholder until its issue lands: the command exists so that --help lists it.
import type { Command } from 'commander';
import { fail } from '../output.ts';

export function registerConnector(program: Command): void {
  program
    .command('connector')
    .description('Run the connector service (not yet available)')
    .allowUnknownOption()
    .action(() => fail('not-implemented', 'crm-tapi connector is not implemented yet', 2));
}
