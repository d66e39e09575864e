// The test harness for the Dynamics web resource: a page with a fake `Xrm`
// backed by the simulated Dataverse, served from its own origin as Dynamics
// serves web resources from the organisation's. Its /api/data/ is a reverse
// proxy to the simulated Dataverse that signs each request with the token of
// the harness user (Dynamics would use the session cookie), so
// Xrm.WebApi.createRecord really creates the session record as that user.
// TEST-ONLY credentials (fixtures/crm/directory.json).
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { DEMO_USERS } from '../../../src/cli/commands/demo-stack.ts';
import { diagnoseHarnessPage, harnessPage, type HarnessForm } from './harness-page.ts';

/** The demo users and the org's administrator (System Administrator; on no line). TEST-ONLY credentials. */
export const HARNESS_USERS = {
  ...DEMO_USERS,
  petra: { id: '9d29a071-e32a-5a7c-a939-3b959719c23c', upn: 'petra.hoffmann@contoso-sim.onmicrosoft.com', name: 'Petra Hoffmann', password: 'Test-only-phoffmann-1!' },
} as const;
export type HarnessUser = keyof typeof HARNESS_USERS;

const DIAGNOSE_PAGE = new URL('../../../src/client/solution/diagnose.html', import.meta.url);

const ROPC_CLIENT = '51f81489-12ee-4a9e-aaae-a2591f45987d';

export interface HarnessServer {
  origin: string;
  /** The solution's diagnose page for `user`, as the command bar opens it (`data` = diagnose | refresh). */
  diagnoseUrl(user: HarnessUser, data: 'diagnose' | 'refresh'): string;
  /** The page URL for `user`, with an optional form. */
  url(user: HarnessUser, form?: HarnessForm): string;
  setDataverse(dv: SimulatedDataverse): void;
  close(): Promise<void>;
}

export async function startHarnessServer(clientDir: string): Promise<HarnessServer> {
  let dv: SimulatedDataverse | undefined;
  const tokens = new Map<HarnessUser, { token: string; until: number }>();
  const forms = new Map<string, HarnessForm>();
  const tokenOf = async (user: HarnessUser): Promise<string> => {
    const t = tokens.get(user);
    if (t !== undefined && t.until > Date.now()) return t.token;
    if (dv === undefined) throw new Error('no Dataverse yet');
    const u = HARNESS_USERS[user];
    const res = await fetch(dv.tokenUrl, {
      method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', client_id: ROPC_CLIENT, username: u.upn, password: u.password, scope: `${dv.url}/.default` }).toString(),
    });
    const body = (await res.json()) as { access_token?: string; expires_in?: number };
    if (typeof body.access_token !== 'string') throw new Error(`ROPC sign-in of ${u.upn} failed: ${res.status}`);
    tokens.set(user, { token: body.access_token, until: Date.now() + ((body.expires_in ?? 3600) - 60) * 1000 });
    return body.access_token;
  };
  let counter = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://harness');
      if (url.pathname === '/harness.html') {
        const user = url.searchParams.get('user') as HarnessUser;
        const form = forms.get(url.searchParams.get('form') ?? '');
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
        res.end(harnessPage(user, HARNESS_USERS[user], form));
        return;
      }
      if (url.pathname === '/diagnose.html') {
        const user = url.searchParams.get('user') as HarnessUser;
        if (!(user in HARNESS_USERS)) return void res.writeHead(404).end();
        res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
        res.end(diagnoseHarnessPage(user, HARNESS_USERS[user], await readFile(DIAGNOSE_PAGE, 'utf8')));
        return;
      }
      if (url.pathname.startsWith('/client/')) {
        const name = url.pathname.slice('/client/'.length);
        if (!/^crm-tapi-[a-z]+\.js$/.test(name)) return void res.writeHead(404).end();
        res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' });
        res.end(await readFile(join(clientDir, name)));
        return;
      }
      if (url.pathname.startsWith('/api/data/') && dv !== undefined) {
        const user = req.headers['x-harness-user'] as HarnessUser | undefined;
        if (user === undefined || !(user in HARNESS_USERS)) return void res.writeHead(401).end();
        const chunks: Buffer[] = [];
        for await (const c of req) chunks.push(c as Buffer);
        const headers: Record<string, string> = { Authorization: `Bearer ${await tokenOf(user)}`, Accept: 'application/json', 'OData-Version': '4.0' };
        if (req.headers['content-type']) headers['Content-Type'] = req.headers['content-type'];
        if (req.headers.prefer) headers.Prefer = String(req.headers.prefer);
        const upstream = await fetch(`${dv.url}${url.pathname}${url.search}`, { method: req.method ?? 'GET', headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
        res.writeHead(upstream.status, { 'Content-Type': upstream.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await upstream.arrayBuffer()));
        return;
      }
      res.writeHead(404).end();
    })().catch(() => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    url(user, form) {
      let q = `user=${user}`;
      if (form !== undefined) {
        const key = `f${(counter += 1)}`;
        forms.set(key, form);
        q += `&form=${key}`;
      }
      return `${origin}/harness.html?${q}`;
    },
    diagnoseUrl: (user, data) => `${origin}/diagnose.html?user=${user}&data=${data}`,
    setDataverse(d) {
      dv = d;
    },
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
