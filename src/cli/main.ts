// The `crm-tapi` command: the composition root. Each sub-command lives in its
// own module under ./commands and registers itself on the program.
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands/index.ts';
import { CliExit, EXIT } from './output.ts';
import { packageVersion } from '../config/package-root.ts';

export function buildProgram(): Command {
  const program = new Command('crm-tapi')
    .description('Open CRM–telephony bridge for Microsoft Dynamics 365 (manager, connector, simulators, tools)')
    .version(packageVersion())
    .showHelpAfterError()
    .exitOverride();
  registerCommands(program);
  return program;
}

/** Runs the CLI and resolves to the process exit status. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CliExit) return err.status;
    if (err instanceof CommanderError) {
      // --help and --version end through here with status 0; everything else commander reports
      // (unknown command or option, missing argument) is a usage error: 2, as for every sub-command.
      return err.exitCode === 0 ? 0 : EXIT.usage;
    }
    process.stderr.write(`error: internal: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT.internal;
  }
}
