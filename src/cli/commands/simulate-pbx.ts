// Placeholder until the simulated PBX lands.
import type { Command } from 'commander';
import { fail } from '../output.ts';

export function registerSimulatePbx(simulate: Command): void {
  simulate
    .command('pbx')
    .description('Start the simulated PBX (not yet available)')
    .allowUnknownOption()
    .action(() => fail('not-implemented', 'crm-tapi simulate pbx is not implemented yet', 2));
}
