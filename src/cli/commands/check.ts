// `crm-tapi check --config FILE`: verifies the CRM connection settings of a
// manager configuration file the way the vendor's installer does. Only the
// Crm* keys are read; each failure prints one sentence and ends with its own
// exit status (table in docs/dataverse.md).
import type { Command } from 'commander';
import { ConfigError, readConfigFile } from '../../config/file.ts';
import { CHECK_STATUS, runCheck } from '../../dataverse/check.ts';
import { parseConnectionConfig } from '../../dataverse/connection-config.ts';
import { CliExit, fail, printError } from '../output.ts';

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('Verify the CRM connection parameters of a manager configuration (server, TLS, organisation, account, privileges)')
    .requiredOption('--config <file>', 'manager configuration file (.toml or .json)')
    .addHelpText('after', '\nExit status: 0 ok, 2 configuration invalid, 3 server unreachable, 4 TLS failure,\n5 organisation not found, 6 user invalid, 7 privileges missing, 8 server errors,\n9 crm-tapi solution missing or outdated, 1 other.')
    .action(async (options: { config: string }) => {
      let config;
      try {
        config = parseConnectionConfig(await readConfigFile(options.config), options.config);
      } catch (err) {
        if (err instanceof ConfigError) fail(err.code, err.message, CHECK_STATUS.config);
        throw err;
      }
      let result;
      try {
        result = await runCheck(config);
      } catch (err) {
        if (err instanceof ConfigError) fail(err.code, err.message, CHECK_STATUS.config);
        throw err;
      }
      if (!result.ok) {
        for (const problem of result.problems) printError(result.code, problem);
        throw new CliExit(result.status);
      }
      process.stdout.write(`ok: organisation ${result.organisation}, Web API ${result.version}\n`);
    });
}
