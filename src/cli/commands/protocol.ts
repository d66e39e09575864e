// Placeholder until its issue lands: the command exists so that --help lists it.
import type { Command } from 'commander';
import { fail } from '../output.ts';

export function registerProtocol(program: Command): void {
  program
    .command('protocol')
    .description('Decode and encode protocol frames and XML messages (not yet available)')
    .allowUnknownOption()
    .action(() => fail('not-implemented', 'crm-tapi protocol is not implemented yet', 2));
}
