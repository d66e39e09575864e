// Shared by the directory and outbox tests: the simulated Dataverse on a real
// port and clients signed in the way the manager signs in (TEST-ONLY
// credentials from fixtures/crm/directory.json, see docs/simulated-dataverse.md).
import { cpSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SEED_DIR, TEST_TLS_DIR, startSimulatedDataverse, type SimulatedDataverseOptions, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { parseConnectionConfig } from '../../../src/dataverse/connection-config.ts';
import { connect, type Connection, type ConnectOptions } from '../../../src/dataverse/connection.ts';

/** The on-premises service account (TapiManager Account role: may act on behalf of users). */
export const SERVICE = { sam: 'CONTOSO\\svc-crmtapi', password: 'Test-only-svc-crmtapi-1!', id: 'b691dd3c-d02d-526e-a641-4cee46480928' };
export const ROPC_CLIENT = '51f81489-12ee-4a9e-aaae-a2591f45987d';
/** Agents (TapiInterface User). */
export const ANNA = { id: 'f16c8d43-0882-59e2-a842-5fbc915a2aa0' };
export const LUKAS = { id: '51c76b76-2067-5ac8-afe6-22cbb2e51ca3' };

export function startSim(options: SimulatedDataverseOptions = {}): Promise<SimulatedDataverse> {
  return startSimulatedDataverse({ port: 0, ...options });
}

/** A copy of the seed directory with change tracking switched off for the given entities. */
export function seedWithoutChangeTracking(entities: readonly string[]): string {
  // The seed names the test certificates as ../tls/…: keep that layout.
  const root = mkdtempSync(join(tmpdir(), 'seed-'));
  const dir = join(root, 'crm');
  cpSync(DEFAULT_SEED_DIR, dir, { recursive: true });
  symlinkSync(TEST_TLS_DIR, join(root, 'tls'));
  const file = join(dir, 'metadata-standard.json');
  const metadata = JSON.parse(readFileSync(file, 'utf8')) as { entities: { logicalName: string; changeTracking?: boolean }[] };
  for (const entity of metadata.entities) if (entities.includes(entity.logicalName)) entity.changeTracking = false;
  writeFileSync(file, JSON.stringify(metadata));
  return dir;
}

/** OnPremise: NTLM as the service account, impersonation with MSCRMCallerID. */
export function onPremise(dv: SimulatedDataverse, options: ConnectOptions = {}): Promise<Connection> {
  return connect(parseConnectionConfig({ CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmUsername: SERVICE.sam, CrmPassword: SERVICE.password }, 'test'), options);
}

/** A System Administrator (NTLM): edits CRM data the way a user in the CRM would. */
export function crmAdmin(dv: SimulatedDataverse, options: ConnectOptions = {}): Promise<Connection> {
  return connect(parseConnectionConfig({ CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmUsername: 'CONTOSO\\phoffmann', CrmPassword: 'Test-only-phoffmann-1!' }, 'test'), options);
}

/** InternalIFD: AD FS bearer tokens (they expire; a 401 triggers one shared renewal). */
export function internalIfd(dv: SimulatedDataverse, options: ConnectOptions = {}): Promise<Connection> {
  return connect(
    parseConnectionConfig({ CrmType: 'InternalIFD', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmUsername: SERVICE.sam, CrmPassword: SERVICE.password, CrmAuthority: `${dv.url}/adfs`, CrmClientId: ROPC_CLIENT, CrmWebApiUrl: dv.orgWebApiUrl }, 'test'),
    options,
  );
}
