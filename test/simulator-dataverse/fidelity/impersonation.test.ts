// Fidelity: impersonation's edge cases
// (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/impersonate-another-user-web-api):
// a caller id no user has, naming oneself (no impersonation:
// https://github.com/MicrosoftDocs/powerapps-docs/issues/2088), and impersonation headers inside
// `$batch` parts, which are ignored — the `$batch` request's own headers decide who acts for every
// part (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api).
// The product never relies on per-part impersonation: its client refuses it and impersonates a
// whole batch instead.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConnectionConfig } from '../../../src/dataverse/connection-config.ts';
import { connect, type Connection } from '../../../src/dataverse/connection.ts';
import { DataverseError } from '../../../src/dataverse/web-api/errors.ts';
import { onPremise, SERVICE } from '../../dataverse/support/sim.ts';
import { api, managerApp, readonlyApp, user } from '../support.ts';
import { failure, startFidelity, type Fidelity } from './client.ts';

let f: Fidelity;
let conn: Connection;

beforeAll(async () => {
  f = await startFidelity();
  conn = await connect(parseConnectionConfig(onPremise(f.dv), 'test'));
});
afterAll(async () => {
  await conn.client.close();
  await f.dv.close();
});

/** createdby and createdonbehalfby of a phone call, read as the administrator. */
async function authorship(id: string): Promise<{ by: string; behalf: string | null }> {
  const r = await f.raw(`phonecalls(${id})?$select=_createdby_value,_createdonbehalfby_value`);
  return { by: r.body._createdby_value, behalf: r.body._createdonbehalfby_value };
}

describe('unknown and self impersonation', () => {
  it('an MSCRMCallerID or CallerObjectId that names no user is a 404 "Does Not Exist"; nothing is written', async () => {
    const before = f.dv.store.count('phonecall');
    const bySystemUserId = await failure(f.clientWith({ impersonate: randomUUID(), onTokenRefresh: appTokenRefresh }).create({ collection: 'phonecalls', data: { subject: 'ghost' } }));
    const byObjectId = await failure(f.clientWith({ impersonateAAD: randomUUID(), onTokenRefresh: appTokenRefresh }).create({ collection: 'phonecalls', data: { subject: 'ghost' } }));
    for (const e of [bySystemUserId, byObjectId]) {
      expect(e.status).toBe(404);
      expect(e.code).toBe('0x80040217');
      expect(e.message).toMatch(/^systemuser With .* Does Not Exist$/);
    }
    expect(f.dv.store.count('phonecall')).toBe(before);
  });

  it('naming oneself is no impersonation: createdonbehalfby stays empty, and no privilege is needed for it', async () => {
    const noRoles = readonlyApp(f.dv);
    const noRolesApi = api(f.dv, await (await import('../support.ts')).appToken(f.dv, noRoles));
    const me = (await noRolesApi('WhoAmI')).body.UserId as string;
    const self = await noRolesApi('WhoAmI', { headers: { MSCRMCallerID: me } });
    expect(self.status).toBe(200);
    expect(self.body.UserId).toBe(me);
    expect((await noRolesApi('WhoAmI', { headers: { MSCRMCallerID: user(f.dv, 'aschmidt').systemuserid } })).status).toBe(403);
    const app = managerApp(f.dv);
    const id = await f.clientWith({ impersonate: app.systemuserid, onTokenRefresh: appTokenRefresh }).create({ collection: 'phonecalls', data: { subject: 'self' } }) as string;
    expect(await authorship(id)).toEqual({ by: app.systemuserid, behalf: null });
  });
});

let appToken = '';
const appTokenRefresh = async (): Promise<string> => {
  if (appToken === '') appToken = await (await import('../support.ts')).appToken(f.dv);
  return appToken;
};

function batchBody(parts: { id: string; headers: Record<string, string> }[]): string {
  const lines: string[] = [];
  for (const p of parts) {
    lines.push('--batch_imp', 'Content-Type: application/http', 'Content-Transfer-Encoding: binary', '', 'POST phonecalls HTTP/1.1', 'Content-Type: application/json');
    for (const [k, v] of Object.entries(p.headers)) lines.push(`${k}: ${v}`);
    lines.push('', JSON.stringify({ activityid: p.id, subject: 'batch impersonation' }));
  }
  lines.push('--batch_imp--', '');
  return lines.join('\r\n');
}

async function postBatch(body: string, outer: Record<string, string>): Promise<number> {
  const res = await fetch(`${f.dv.webApiUrl}$batch`, { method: 'POST', headers: { Authorization: `Bearer ${await appTokenRefresh()}`, 'Content-Type': 'multipart/mixed; boundary=batch_imp', ...outer }, body });
  await res.text();
  return res.status;
}

describe('impersonation inside $batch', () => {
  it('a header in a part is ignored; the $batch request\'s header applies to every part', async () => {
    const app = managerApp(f.dv);
    const anna = user(f.dv, 'aschmidt');
    const other = user(f.dv, 'phoffmann');
    const [plain, overridden, second] = [randomUUID(), randomUUID(), randomUUID()];
    expect(await postBatch(batchBody([{ id: plain, headers: { MSCRMCallerID: anna.systemuserid } }]), {})).toBe(200);
    expect(await authorship(plain)).toEqual({ by: app.systemuserid, behalf: null });
    expect(await postBatch(batchBody([{ id: overridden, headers: { MSCRMCallerID: other.systemuserid } }, { id: second, headers: {} }]), { MSCRMCallerID: anna.systemuserid })).toBe(200);
    expect(await authorship(overridden)).toEqual({ by: anna.systemuserid, behalf: app.systemuserid });
    expect(await authorship(second)).toEqual({ by: anna.systemuserid, behalf: app.systemuserid });
  });

  it('the product client refuses a per-part impersonation header before sending, and impersonates a whole batch with onBehalfOf', async () => {
    const anna = user(f.dv, 'aschmidt');
    const logged = f.dv.requestLog.length;
    const id = randomUUID();
    await expect(conn.client.batch([{ method: 'POST', path: 'phonecalls', body: { activityid: id, subject: 'per part' }, headers: { MSCRMCallerID: anna.systemuserid } }]))
      .rejects.toSatisfy((e: unknown) => e instanceof DataverseError && e.code === 'bad-request' && /ignored by Dataverse/.test(e.message));
    expect(f.dv.requestLog.slice(logged).filter((e) => e.path.endsWith('$batch'))).toHaveLength(0);
    const [a, b] = [randomUUID(), randomUUID()];
    const answers = await conn.client.batch([
      { method: 'POST', path: 'phonecalls', body: { activityid: a, subject: 'whole batch a' } },
      { method: 'POST', path: 'phonecalls', body: { activityid: b, subject: 'whole batch b' } },
    ], { atomic: true, onBehalfOf: { systemUserId: anna.systemuserid } });
    expect(answers.map((r) => r.status)).toEqual([204, 204]);
    for (const created of [a, b]) expect(await authorship(created)).toEqual({ by: anna.systemuserid, behalf: SERVICE.id });
  });
});
