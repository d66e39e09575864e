// One line per sub-command module; each module owns its options and help text.
import type { Command } from 'commander';
import { registerProtocol } from './protocol.ts';
import { registerSimulate } from './simulate.ts';
import { registerDialing } from './dialing.ts';
import { registerCheck } from './check.ts';
import { registerConnector } from './connector.ts';
import { registerManager } from './manager.ts';
import { registerDiagnose } from './diagnose.ts';
import { registerReplay } from './replay.ts';
import { registerDemo } from './demo.ts';
import { registerConformance } from './conformance.ts';

export function registerCommands(program: Command): void {
  registerProtocol(program);
  registerSimulate(program);
  registerDialing(program);
  registerCheck(program);
  registerConnector(program);
  registerManager(program);
  registerDiagnose(program);
  registerReplay(program);
  registerDemo(program);
  registerConformance(program);
}
