// Placeholder until the simulated Dataverse lands.
import type { Command } from 'commander';
import { fail } from '../output.ts';

export function registerSimulateDataverse(simulate: Command): void {
  simulate
    .command('dataverse')
    .description('Serve the simulated Dataverse over HTTP (not yet available)')
    .allowUnknownOption()
    .action(() => fail('not-implemented', 'crm-tapi simulate dataverse is not implemented yet', 2));
}
