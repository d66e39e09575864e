// Connection settings that point each CrmType at a running simulated
// Dataverse (test-only credentials from fixtures/crm/directory.json).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimulatedDataverse } from '../../../simulator/dataverse/index.ts';

export const MANAGER_APP = { clientId: '9ec49f8e-a7b9-51a1-a747-4b99104ffb7d', secret: 'Test-only-manager-secret-0001', systemUserId: 'eeb7e65e-5c5a-56ad-a764-82f2e6c226e9' };
export const NO_ROLES_APP = { clientId: '9ad8fc45-11ff-5514-a03e-8f8ce5255ae2', secret: 'Test-only-reporting-secret-0002' };
export const ROPC_CLIENT = '51f81489-12ee-4a9e-aaae-a2591f45987d';
export const SERVICE = { sam: 'CONTOSO\\svc-crmtapi', upn: 'svc-crmtapi@contoso-sim.onmicrosoft.com', password: 'Test-only-svc-crmtapi-1!', id: 'b691dd3c-d02d-526e-a641-4cee46480928' };
/** An agent with the TapiInterface User role. */
export const AGENT = { sam: 'CONTOSO\\aschmidt', password: 'Test-only-aschmidt-1!', id: 'f16c8d43-0882-59e2-a842-5fbc915a2aa0', objectId: '' };
/** Petra Hoffmann: System Administrator + TapiInterface Admin. */
export const ADMIN = { id: '9d29a071-e32a-5a7c-a939-3b959719c23c' };

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'crm-tapi-e-'));
}

export function writeCa(dv: SimulatedDataverse, dir: string): string {
  const path = join(dir, 'ca.pem');
  writeFileSync(path, dv.caCertificate ?? '');
  return path;
}

export function writeAppCertificate(dir: string): string {
  const tls = new URL('../../../fixtures/tls/', import.meta.url);
  const path = join(dir, 'app.pem');
  writeFileSync(path, readFileSync(new URL('app-cert.pem', tls), 'utf8') + readFileSync(new URL('app-key.pem', tls), 'utf8'));
  return path;
}

export function onPremise(dv: SimulatedDataverse, account = SERVICE.sam, password = SERVICE.password): Record<string, unknown> {
  return { CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmUsername: account, CrmPassword: password };
}

export function internalIfd(dv: SimulatedDataverse, password = SERVICE.password): Record<string, unknown> {
  return { CrmType: 'InternalIFD', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmUsername: SERVICE.sam, CrmPassword: password, CrmAuthority: `${dv.url}/adfs`, CrmClientId: ROPC_CLIENT };
}

export function onlineSecret(dv: SimulatedDataverse, caFile: string, app = MANAGER_APP): Record<string, unknown> {
  return { CrmType: 'CrmOnline', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmAuthority: dv.authorityUrl, CrmClientId: app.clientId, CrmClientSecret: app.secret, CrmCaFile: caFile };
}
