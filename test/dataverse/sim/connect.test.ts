// Every CrmType's sign-in against the simulated Dataverse over real HTTP(S):
// NTLM on kept-alive connections, AD FS, MSAL with secret, certificate and
// username/password; token expiry mid-paging with one shared refresh;
// throttling storms; impersonation; secrets never printed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import type { BearerAuth } from '../../../src/dataverse/auth/bearer.ts';
import type { NtlmAuth } from '../../../src/dataverse/auth/ntlm.ts';
import { parseConnectionConfig } from '../../../src/dataverse/connection-config.ts';
import { connect, type Connection } from '../../../src/dataverse/connection.ts';
import { DataverseError } from '../../../src/dataverse/web-api/errors.ts';
import { MemoryLogger, VirtualClock } from '../support/fakes.ts';
import { internalIfd, MANAGER_APP, onlineSecret, onPremise, ROPC_CLIENT, SERVICE, tempDir, writeAppCertificate, writeCa } from '../support/sim.ts';

let dv: SimulatedDataverse;
let tls: SimulatedDataverse;
let caFile: string;
let certFile: string;
const open: Connection[] = [];

async function connectTo(raw: Record<string, unknown>, options: Parameters<typeof connect>[1] = {}): Promise<Connection> {
  const c = await connect(parseConnectionConfig(raw, 'test'), options);
  open.push(c);
  return c;
}

beforeAll(async () => {
  dv = await startSimulatedDataverse({ port: 0 });
  tls = await startSimulatedDataverse({ port: 0, tls: true });
  const dir = tempDir();
  caFile = writeCa(tls, dir);
  certFile = writeAppCertificate(dir);
});
afterAll(async () => {
  await Promise.all(open.map((c) => c.client.close()));
  await dv.close();
  await tls.close();
});

describe('sign-in per CrmType', () => {
  it('OnPremise: NTLM handshake once per kept-alive connection, URL with the organisation path', async () => {
    const c = await connectTo(onPremise(dv));
    expect(c.webApiUrl).toBe(`${dv.url}/${dv.orgName}/api/data/v9.1/`);
    expect((await c.client.whoAmI()).UserId).toBe(SERVICE.id);
    await c.client.retrieveVersion();
    await c.client.list('accounts', { select: ['name'], top: 3 });
    expect((c.auth as NtlmAuth).handshakes).toBe(1);
  });

  it('OnPremise: parallel requests each sign in their own connection, then reuse them', async () => {
    const c = await connectTo(onPremise(dv));
    await Promise.all([1, 2, 3].map(() => c.client.whoAmI()));
    const first = (c.auth as NtlmAuth).handshakes;
    expect(first).toBeGreaterThanOrEqual(1);
    expect(first).toBeLessThanOrEqual(3);
    await Promise.all([1, 2, 3].map(() => c.client.whoAmI()));
    expect((c.auth as NtlmAuth).handshakes).toBe(first);
  });

  it('InternalIFD: AD FS password grant', async () => {
    const c = await connectTo(internalIfd(dv));
    expect(c.webApiUrl).toBe(`${dv.url}/api/data/v9.1/`);
    expect((await c.client.whoAmI()).UserId).toBe(SERVICE.id);
  });

  it.each([
    ['client secret', () => onlineSecret(tls, caFile)],
    ['certificate', () => ({ ...onlineSecret(tls, caFile), CrmClientSecret: undefined, CrmCertificateFile: certFile })],
  ])('CrmOnline: msal-node client credentials with a %s', async (_name, raw) => {
    const c = await connectTo(raw());
    expect((await c.client.whoAmI()).UserId).toBe(MANAGER_APP.systemUserId);
    expect((await c.client.retrieveCurrentOrganization()).UniqueName).toBe(tls.orgName);
  });

  it('CrmOnline: msal-node username/password (the manual\'s setup)', async () => {
    const c = await connectTo({ ...onlineSecret(tls, caFile), CrmClientSecret: undefined, CrmClientId: ROPC_CLIENT, CrmUsername: SERVICE.upn, CrmPassword: SERVICE.password });
    expect((await c.client.whoAmI()).UserId).toBe(SERVICE.id);
  });
});

describe('tokens', () => {
  it('a token expiring mid-paging costs exactly one shared renewal (msal skipCache) for all readers', async () => {
    const c = await connectTo(onlineSecret(tls, caFile));
    const auth = c.auth as BearerAuth;
    await c.client.whoAmI();
    expect(auth.acquisitions).toBe(1);
    let expired = false;
    const read = async (): Promise<number> => {
      let n = 0;
      for await (const page of c.client.pages<Record<string, unknown>>('contacts', { select: ['fullname'] }, { maxPageSize: 7 })) {
        n += page.value.length;
        if (!expired) {
          expired = true;
          tls.faults.expireTokensNow();
        }
      }
      return n;
    };
    const counts = await Promise.all([read(), read(), read()]);
    expect(new Set(counts).size).toBe(1);
    expect(counts[0]).toBeGreaterThan(7);
    expect(auth.acquisitions).toBe(2);
  });

  it('a refused client secret is an unauthorized AuthError that names neither secret nor token', async () => {
    const logger = new MemoryLogger();
    const c = await connectTo({ ...onlineSecret(tls, caFile), CrmClientSecret: 'Wrong-Secret-XYZ' }, { logger });
    const err = (await c.client.whoAmI().catch((e: unknown) => e)) as DataverseError;
    expect(err).toBeInstanceOf(DataverseError);
    expect(err.code).toBe('unauthorized');
    expect(err.message).toMatch(/invalid_client/);
    const text = [err.message, String(err.stack), JSON.stringify(err), ...logger.lines].join('\n');
    expect(text).not.toContain('Wrong-Secret-XYZ');
  });

  it.each([
    ['NTLM', () => onPremise(dv, SERVICE.sam, 'Wrong-Password-123')],
    ['AD FS', () => internalIfd(dv, 'Wrong-Password-123')],
  ])('%s: a wrong password is unauthorized and never printed', async (_name, raw) => {
    const logger = new MemoryLogger();
    const c = await connectTo(raw(), { logger });
    const err = (await c.client.whoAmI().catch((e: unknown) => e)) as DataverseError;
    expect(err.code).toBe('unauthorized');
    const text = [err.message, String(err.stack), JSON.stringify(err), ...logger.lines].join('\n');
    expect(text).not.toContain('Wrong-Password-123');
  });
});

describe('throttling against the simulator', () => {
  it('a 429/503 storm with nonsense and absurd Retry-After values ends in success within bounded waits', async () => {
    const clock = new VirtualClock(Date.now());
    const logger = new MemoryLogger();
    const c = await connectTo(onPremise(dv), { clock, logger, retry: { maxAttempts: 8, maxWaitMs: 5000, budgetMs: 120_000 } });
    // The simulator fires every matching rule on one request, so each value gets its own read.
    const faults: Array<['throttle' | 'unavailable', string]> = [
      ['throttle', 'abc'], ['throttle', '-1'], ['throttle', '86400'], ['throttle', new Date(Date.now() + 2000).toUTCString()], ['throttle', '1'], ['unavailable', '0'],
    ];
    for (const [kind, retryAfter] of faults) {
      dv.faults.add({ kind, times: 2, path: 'accounts', retryAfter });
      const rows = await c.client.list('accounts', { select: ['name'] });
      expect(rows.length).toBeGreaterThan(10);
    }
    expect(clock.sleeps).toHaveLength(12);
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(5000);
    expect(clock.sleeps).toContain(5000); // 86400 clamped
    expect(logger.lines.filter((l) => l.includes('will be retried'))).toHaveLength(12);
  });
});

describe('impersonation', () => {
  it('creates a phone call on behalf of the agent: MSCRMCallerID on-premises, CallerObjectId online', async () => {
    const agent = (await (await connectTo(onPremise(dv))).client.retrieve<Record<string, unknown>>('systemusers', 'f16c8d43-0882-59e2-a842-5fbc915a2aa0', ['azureactivedirectoryobjectid'])) ?? {};
    const onBehalfOf = { systemUserId: 'f16c8d43-0882-59e2-a842-5fbc915a2aa0', entraObjectId: agent.azureactivedirectoryobjectid as string };
    for (const [target, raw] of [[dv, onPremise(dv)], [tls, onlineSecret(tls, caFile)]] as const) {
      const c = await connectTo(raw);
      const { id } = await c.client.create('phonecalls', { subject: 'Anruf von +49 341 1234567', phonenumber: '+49 341 1234567', directioncode: false }, { onBehalfOf });
      const row = await c.client.retrieve<Record<string, unknown>>('phonecalls', id, ['subject', '_createdby_value', '_createdonbehalfby_value', '_ownerid_value']);
      expect(row?._ownerid_value).toBe(onBehalfOf.systemUserId);
      expect(row?._createdby_value).toBe(onBehalfOf.systemUserId);
      expect(row?._createdonbehalfby_value).toBe((await c.client.whoAmI()).UserId);
      expect(target.requestLog.length).toBeGreaterThan(0);
    }
  });
});
