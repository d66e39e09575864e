// `crm-tapi simulate …`: the simulators. The PBX and the Dataverse each own a module.
import type { Command } from 'commander';
import { registerSimulatePbx } from './simulate-pbx.ts';
import { registerSimulateDataverse } from './simulate-dataverse.ts';

export function registerSimulate(program: Command): void {
  const simulate = program.command('simulate').description('Run the simulated PBX or the simulated Dataverse, ring a line');
  registerSimulatePbx(simulate);
  registerSimulateDataverse(simulate);
}
