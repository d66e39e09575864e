// `crm-tapi simulate dataverse`: serve the simulated Dataverse (Web API, Entra-like and AD FS
// sign-in, NTLM) on a real port for a demo or for tests in another process. Prints the URLs
// and the seeded test-only identities, then runs until SIGINT or SIGTERM.
import type { Command } from 'commander';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { CrmTapiError } from '../../protocol/errors.ts';
import { EXIT, fail } from '../output.ts';

interface Options {
  port: string;
  host: string;
  seed: string;
  org?: string;
  tls?: boolean;
  sqlite?: string;
  tokenLifetime: string;
}

function integer(text: string, name: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) fail(`invalid-${name}`, `"${text}" is not a valid ${name} (${min}–${max})`, EXIT.usage);
  return value;
}

export function describeSimulator(dv: SimulatedDataverse): string {
  const lines = [
    `simulated Dataverse "${dv.orgName}" (${dv.directory.organization.friendlyName}, version ${dv.directory.organization.version})`,
    `  Web API (default org):   ${dv.webApiUrl}`,
    `  Web API (OnPremise URL): ${dv.orgWebApiUrl}`,
    `  authority (msal-node):   ${dv.authorityUrl}`,
    `  token endpoint:          ${dv.tokenUrl}`,
    `  sign-in page:            ${dv.authorizeUrl}`,
    `  AD FS token endpoint:    ${dv.adfsTokenUrl}`,
    `  control API:             ${dv.controlUrl}`,
    `  tenant:                  ${dv.tenantId} (${dv.directory.tenantDomain})`,
    'applications (TEST-ONLY secrets):',
    ...dv.directory.applications.map((a) => `  ${a.displayName}: client id ${a.clientId}${a.secrets[0] ? `, secret ${a.secrets[0]}` : ' (public client)'}`),
    'users (TEST-ONLY passwords):',
    ...dv.directory.users.map((u) => {
      const rec = dv.store.get('systemuser', u.systemuserid);
      const disabled = rec?.['isdisabled'] === true ? ' [disabled]' : '';
      return `  ${String(rec?.['fullname'] ?? '?')}${disabled}: ${u.userPrincipalName} / ${u.samAccountName}, password ${u.password}`;
    }),
  ];
  if (dv.caCertificate) lines.push('TLS: test certificate of fixtures/tls (trust fixtures/tls/ca.pem)');
  return `${lines.join('\n')}\n`;
}

async function run(options: Options): Promise<void> {
  const port = integer(options.port, 'port', 0, 65535);
  const tokenLifetimeSeconds = integer(options.tokenLifetime, 'token-lifetime', 1, 86400 * 30);
  let dv: SimulatedDataverse;
  try {
    dv = await startSimulatedDataverse({
      seedDir: options.seed, port, host: options.host, tls: options.tls === true, tokenLifetimeSeconds,
      ...(options.org ? { orgName: options.org } : {}),
      ...(options.sqlite ? { sqlitePath: options.sqlite } : {}),
    });
  } catch (err) {
    if (err instanceof CrmTapiError) fail(err.code, err.message);
    throw err;
  }
  process.stdout.write(describeSimulator(dv));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await dv.close();
  process.stderr.write('simulated Dataverse stopped\n');
}

export function registerSimulateDataverse(simulate: Command): void {
  simulate
    .command('dataverse')
    .description('Serve the simulated Dataverse (Web API, sign-in, NTLM) on a real port')
    .option('--port <port>', 'TCP port (0 = any free port)', '0')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--seed <dir>', 'seed directory with metadata*.json, directory.json and seed/', 'fixtures/crm/')
    .option('--org <name>', 'organisation unique name (default from directory.json)')
    .option('--tls', 'serve HTTPS with the test-only certificate of fixtures/tls')
    .option('--sqlite <file>', 'keep the records in this SQLite file across restarts')
    .option('--token-lifetime <seconds>', 'access token lifetime', '3600')
    .action((options: Options) => run(options));
}
