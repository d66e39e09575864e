// `crm-tapi service install manager|connector --config FILE [--user NAME]
// [--print] [--windows]`: writes the service definition — a systemd unit on
// Linux, a WinSW XML on Windows (docs/operations.md) — for this Node.js and
// this installation, and prints the commands that enable and start it.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ConfigError } from '../../config/file.ts';
import { packageRoot } from '../../config/package-root.ts';
import { loadConnectorConfig } from '../../connector/config/load.ts';
import { loadManagerConfig } from '../../manager/config/load.ts';
import { CliExit, EXIT, fail } from '../output.ts';
import { SYSTEMD_UNIT_NAME, WINDOWS_SERVICE_NAME, systemdUnit, winswXml, type ServiceKind, type ServiceSpec } from '../service/units.ts';

interface InstallOptions {
  config: string;
  user?: string;
  print?: boolean;
  windows?: boolean;
  dir?: string;
}

/** The directories the service writes to, from its configuration (read the way the service reads it). */
async function writableDirs(kind: ServiceKind, config: string): Promise<string[]> {
  try {
    if (kind === 'manager') {
      const c = await loadManagerConfig(config);
      return [c.DataDir, ...(c.LogArt === 'File' && c.LogFile !== undefined ? [dirname(c.LogFile)] : [])];
    }
    const c = await loadConnectorConfig(config);
    return [...(c.BufferFile === undefined ? [] : [dirname(c.BufferFile)]), ...(c.LogArt === 'File' && c.LogFile !== undefined ? [dirname(c.LogFile)] : [])];
  } catch (err) {
    if (err instanceof ConfigError) fail(err.code, err.message, EXIT.usage);
    throw err;
  }
}

async function install(kind: string, o: InstallOptions): Promise<void> {
  if (kind !== 'manager' && kind !== 'connector') fail('invalid-argument', `service install takes manager or connector, not "${kind}"`, EXIT.usage);
  if (o.user !== undefined && !/^[a-z_][a-z0-9_.-]{0,31}\$?$|^[^\s"<>]+\\[^\s"<>]+$/i.test(o.user)) fail('invalid-option', `--user "${o.user}" is not a user name`, EXIT.usage);
  const config = resolve(o.config);
  const spec: ServiceSpec = { kind, node: process.execPath, bin: join(packageRoot(), 'bin', 'crm-tapi.js'), config, writable: await writableDirs(kind, config), ...(o.user === undefined ? {} : { user: o.user }) };
  const windows = o.windows ?? process.platform === 'win32';
  const text = windows ? winswXml(spec) : systemdUnit(spec);
  if (o.print) {
    process.stdout.write(text);
    return;
  }
  const dir = resolve(o.dir ?? (windows ? join(packageRoot(), 'service') : '/etc/systemd/system'));
  const file = join(dir, windows ? `${WINDOWS_SERVICE_NAME[kind]}.xml` : SYSTEMD_UNIT_NAME[kind]);
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(file, text, { mode: 0o644 });
  } catch (err) {
    fail('service-unwritable', `cannot write ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}); run as an administrator or use --print`, EXIT.failure);
  }
  const next = windows
    ? [
        `Put WinSW (https://github.com/winsw/winsw, WinSW-x64.exe) beside it as ${WINDOWS_SERVICE_NAME[kind]}.exe, then in an administrator prompt:`,
        `  ${join(dir, `${WINDOWS_SERVICE_NAME[kind]}.exe`)} install`,
        `  ${join(dir, `${WINDOWS_SERVICE_NAME[kind]}.exe`)} start`,
      ]
    : [
        'Then:',
        '  systemctl daemon-reload',
        `  systemctl enable --now ${SYSTEMD_UNIT_NAME[kind]}`,
        `  systemctl status ${SYSTEMD_UNIT_NAME[kind]}`,
        `Secrets given as env:NAME go into /etc/crm-tapi/${kind}.env (mode 0600).`,
      ];
  process.stdout.write(`wrote ${file}\n${next.join('\n')}\n`);
}

export function registerService(program: Command): void {
  const service = program.command('service').description('Install the manager or the connector as a system service (systemd on Linux, WinSW on Windows; docs/operations.md)');
  service
    .command('install')
    .argument('<service>', 'manager or connector')
    .requiredOption('--config <file>', 'the configuration file the service runs with')
    .option('--user <name>', 'run as this existing account (default on Linux: a systemd DynamicUser)')
    .option('--print', 'print the service definition instead of writing it')
    .option('--windows', 'write the Windows (WinSW) definition even when not on Windows')
    .option('--dir <dir>', 'where to write it (default /etc/systemd/system; on Windows <package>/service)')
    .addHelpText('after', '\nExit status: 0 written (or printed), 1 cannot write, 2 usage or configuration error.')
    .action(async (kind: string, o: InstallOptions) => {
      await install(kind, o);
      throw new CliExit(EXIT.ok);
    });
}
