// `crm-tapi config import-reg FILE.reg --service manager|connector [--out
// FILE]`: migration from the vendor's product — its registry keys (a
// `regedit /e` export, UTF-16LE or ANSI) to our TOML, with a line per value
// not carried over and why (on stderr and as comments in the TOML).
import { readFile, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { importRegistry } from '../migrate/import-reg.ts';
import { parseRegFile, RegFileError } from '../migrate/reg-file.ts';
import { CliExit, EXIT, fail } from '../output.ts';

async function importReg(file: string, o: { service: string; out?: string }): Promise<void> {
  if (o.service !== 'manager' && o.service !== 'connector') fail('invalid-option', `--service must be manager or connector, not "${o.service}"`, EXIT.usage);
  const bytes = await readFile(file).catch((err: NodeJS.ErrnoException) => fail('reg-unreadable', `${file}: cannot read (${err.code ?? 'error'})`, EXIT.usage));
  let result;
  try {
    result = importRegistry(parseRegFile(bytes), o.service);
  } catch (err) {
    if (err instanceof RegFileError) fail(err.code, `${file}: ${err.message}`, EXIT.usage);
    throw err;
  }
  for (const s of result.skipped) process.stderr.write(`not carried over: ${s}\n`);
  if (o.out === undefined) process.stdout.write(result.toml);
  else {
    await writeFile(o.out, result.toml, { flag: 'wx' }).catch((err: NodeJS.ErrnoException) =>
      fail('out-unwritable', `${o.out}: cannot write (${err.code ?? 'error'}${err.code === 'EEXIST' ? ': it exists; not overwritten' : ''})`, EXIT.failure),
    );
    process.stdout.write(`wrote ${o.out}; check it with crm-tapi ${o.service} --config ${o.out} --check-config\n`);
  }
}

export function registerConfig(program: Command): void {
  const config = program.command('config').description('Configuration tools (migration from the vendor\'s product)');
  config
    .command('import-reg')
    .argument('<file>', 'a registry export (regedit /e) of the vendor\'s TAPI-Manager or TAPI-Connector key')
    .requiredOption('--service <service>', 'manager or connector')
    .option('--out <file>', 'write the TOML here (never overwrites) instead of to stdout')
    .addHelpText('after', '\nExit status: 0 written, 1 cannot write --out, 2 usage error or not a registry export.')
    .action(async (file: string, o: { service: string; out?: string }) => {
      await importReg(file, o);
      throw new CliExit(EXIT.ok);
    });
}
