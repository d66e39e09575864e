// One line per sub-command module; each module owns its options and help text.
import type { Command } from 'commander';
import { registerProtocol } from './protocol.ts';
import { registerSimulate } from './simulate.ts';
import { registerDialing } from './dialing.ts';
import { registerCheck } from './check.ts';
import { registerConnector } from './connector.ts';
import { registerManager } from './manager.ts';
import { registerDiagnose, registerOutbox } from './diagnose.ts';
import { registerReplay } from './replay.ts';
import { registerDemo } from './demo.ts';
import { registerSolution } from './solution.ts';
import { registerLab } from './lab.ts';
import { registerService } from './service.ts';
import { registerConfig } from './config.ts';
import { registerConformance } from './conformance.ts';

export function registerCommands(program: Command): void {
  registerProtocol(program);
  registerSimulate(program);
  registerDialing(program);
  registerCheck(program);
  registerConnector(program);
  registerManager(program);
  registerDiagnose(program);
  registerOutbox(program);
  registerReplay(program);
  registerDemo(program);
  registerSolution(program);
  registerLab(program);
  registerService(program);
  registerConfig(program);
  registerConformance(program);
}
