// Helpers shared by the simulated-Dataverse tests: start a simulator on port 0, sign in the
// way clients do (over HTTP against its token endpoint), and call the Web API.
import { fileURLToPath } from 'node:url';
import { ControllableClock, startSimulatedDataverse, type SimulatedDataverse, type SimulatedDataverseOptions } from '../../simulator/dataverse/index.ts';

export const SEED_DIR = fileURLToPath(new URL('../../fixtures/crm/', import.meta.url));

export async function startSim(options: SimulatedDataverseOptions = {}): Promise<SimulatedDataverse & { clock: ControllableClock }> {
  const clock = options.clock ?? new ControllableClock();
  const dv = await startSimulatedDataverse({ seedDir: SEED_DIR, port: 0, ...options, clock });
  return dv as SimulatedDataverse & { clock: ControllableClock };
}

export function managerApp(dv: SimulatedDataverse): { clientId: string; secret: string; systemuserid: string } {
  const app = dv.directory.applications.find((a) => a.displayName === 'crm-tapi manager');
  if (!app?.systemuserid || !app.secrets[0]) throw new Error('seed: manager app missing');
  return { clientId: app.clientId, secret: app.secrets[0], systemuserid: app.systemuserid };
}

export function readonlyApp(dv: SimulatedDataverse): { clientId: string; secret: string } {
  const app = dv.directory.applications.find((a) => a.displayName.startsWith('reporting'));
  if (!app?.secrets[0]) throw new Error('seed: reporting app missing');
  return { clientId: app.clientId, secret: app.secrets[0] };
}

export function user(dv: SimulatedDataverse, samSuffix: string): { upn: string; sam: string; password: string; systemuserid: string; oid: string } {
  const u = dv.directory.users.find((x) => x.samAccountName.toLowerCase().endsWith(`\\${samSuffix}`));
  if (!u) throw new Error(`seed: user ${samSuffix} missing`);
  const rec = dv.store.get('systemuser', u.systemuserid);
  return { upn: u.userPrincipalName, sam: u.samAccountName, password: u.password, systemuserid: u.systemuserid, oid: String(rec?.['azureactivedirectoryobjectid']) };
}

export async function appToken(dv: SimulatedDataverse, app: { clientId: string; secret: string } = managerApp(dv), resource = dv.url): Promise<string> {
  const res = await fetch(dv.tokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: app.clientId, client_secret: app.secret, scope: `${resource}/.default` }) });
  const body = (await res.json()) as { access_token?: string };
  if (res.status !== 200 || !body.access_token) throw new Error(`token: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

export async function userToken(dv: SimulatedDataverse, samSuffix: string): Promise<string> {
  const u = user(dv, samSuffix);
  const publicClient = dv.directory.applications.find((a) => a.secrets.length === 0 && a.displayName.includes('ROPC'));
  const res = await fetch(dv.tokenUrl, { method: 'POST', body: new URLSearchParams({ grant_type: 'password', client_id: publicClient?.clientId ?? '', username: u.upn, password: u.password, scope: `${dv.url}/.default openid profile offline_access` }) });
  const body = (await res.json()) as { access_token?: string };
  if (res.status !== 200 || !body.access_token) throw new Error(`token: ${res.status} ${JSON.stringify(body)}`);
  return body.access_token;
}

export interface Api {
  // Test bodies are arbitrary OData JSON; each test asserts the shape it reads.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (path: string, init?: { method?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: any }>;
}

/** A small JSON client bound to a token; `path` is relative to the Web API root or absolute. */
export function api(dv: SimulatedDataverse, token: string, base = dv.webApiUrl): Api {
  return async (path, init = {}) => {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json', ...init.headers };
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(path.startsWith('http') ? path : base + path, { method: init.method ?? 'GET', headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    const text = await res.text();
    let body: unknown = text;
    try { body = text ? JSON.parse(text) : undefined; } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, body };
  };
}
