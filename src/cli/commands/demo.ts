// `crm-tapi demo` (= `npm start`): the whole stack with simulators on this
// machine — simulated Dataverse with seed data, manager, connector with the
// simulated PBX, demo users on lines, the softphone panel — then prints the
// panel URL (it signs the demo user in at once) and a ready-to-paste command
// that rings that user's line from a seeded contact's number. `--scenario
// FILE` plays a scenario on the PBX. Ctrl+C stops everything.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { isReleaseBuild, packageRoot } from '../../config/package-root.ts';
import { CrmTapiError } from '../../protocol/errors.ts';
import { CliExit, fail } from '../output.ts';
import { DEFAULT_CONTROL_PORT } from '../../../simulator/pbx/control-server.ts';
import { DEMO_ASSIGNMENTS, DEMO_CALLER, DEMO_USERS, startDemoStack, type DemoStack } from './demo-stack.ts';

interface DemoOptions {
  scenario?: string;
  port: string;
  controlPort: string;
}

function port(value: string, key: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail('invalid-argument', `${key} must be a TCP port from 0 to 65535 (0 = any free port), not "${value}"`, 2);
  return n;
}

async function playScenario(stack: DemoStack, path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    fail('scenario-unreadable', `${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, 2);
  }
  const res = await fetch(`${stack.controlUrl}/scenario`, { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: text });
  const body = (await res.json().catch(() => ({}))) as { name?: string; steps?: number; error?: { message?: string } | string };
  if (!res.ok) {
    const why = typeof body.error === 'string' ? body.error : (body.error?.message ?? `HTTP ${res.status}`);
    fail('scenario-invalid', `${path}: ${why}`, 2);
  }
  return `${body.name ?? path} (${body.steps ?? '?'} steps)`;
}

/**
 * From the sources the demo bundles the browser client (esbuild, a dev
 * dependency); the release build ships the bundle `npm run build` made.
 */
async function ensureClient(): Promise<void> {
  if (isReleaseBuild()) {
    const dir = join(packageRoot(), 'dist', 'client');
    if (!existsSync(join(dir, 'panel.html'))) fail('client-missing', `the browser client is not in ${dir}; this release was packed without \`npm run build\``, 1);
    return;
  }
  process.stdout.write('crm-tapi demo: building the browser client …\n');
  const { buildClient } = await import('../../../scripts/build-client.ts');
  await buildClient();
}

async function run(o: DemoOptions): Promise<void> {
  const wsPort = port(o.port, '--port');
  const controlPort = port(o.controlPort, '--control-port');
  await ensureClient();
  process.stdout.write('crm-tapi demo: starting the simulated Dataverse, the manager and a connector with the simulated PBX …\n');
  let stack: DemoStack;
  try {
    stack = await startDemoStack({ webSocketPort: wsPort, controlPort });
  } catch (err) {
    if (err instanceof CrmTapiError) fail(err.code, err.message, 1);
    throw err;
  }
  const user = DEMO_USERS.emily;
  const own = DEMO_ASSIGNMENTS.find((a) => a.users[0] === 'emily')?.line ?? '21';
  const pbx = stack.controlUrl.endsWith(`:${DEFAULT_CONTROL_PORT}`) ? '' : ` --control-port ${new URL(stack.controlUrl).port}`;
  process.stdout.write(
    [
      '',
      `  Softphone panel (signs in ${user.name}):`,
      `    ${stack.panelUrl('emily')}`,
      '',
      `  Ring ${user.name}'s line ${own} from ${DEMO_CALLER.name}, a contact in the CRM:`,
      `    ${isReleaseBuild() ? 'crm-tapi' : './bin/crm-tapi.js'} simulate call --from "${DEMO_CALLER.number}" --to ${own}${pbx}`,
      '',
      `  Other demo users: ${DEMO_USERS.jens.name} (shares line 22 with ${user.name}), ${DEMO_USERS.anna.name} (line 23, German UI):`,
      `    ${stack.panelUrl('anna')}`,
      `  Simulated Dataverse: ${stack.dv.url}   manager: ${stack.webSocketUrl}   logs: ${stack.dir}`,
      '  Ctrl+C stops everything.',
      '',
    ].join('\n'),
  );
  if (o.scenario !== undefined) process.stdout.write(`playing scenario ${await playScenario(stack, o.scenario)}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stdout.write('\ncrm-tapi demo: stopping …\n');
  await stack.stop();
  process.stdout.write('crm-tapi demo: stopped\n');
  setTimeout(() => process.exit(0), 2_000).unref();
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Start the whole stack with simulators and print the softphone panel URL (npm start; docs/demo.md)')
    .option('--scenario <file>', 'play this scenario on the simulated PBX (e.g. fixtures/scenarios/incoming-answered.yaml)')
    .option('--port <port>', 'WebSocket/panel port of the manager (0 = any free port)', '0')
    .option('--control-port <port>', 'control endpoint of the simulated PBX (what `simulate call` talks to)', String(DEFAULT_CONTROL_PORT))
    .action(async (o: DemoOptions) => {
      await run(o);
      throw new CliExit(0);
    });
}
