// The Web API client over real HTTP against a scripted server: paging,
// throttling with every kind of Retry-After, timeouts, lost responses, the
// one shared token refresh and impersonation headers.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { BearerAuth, type TokenSource } from '../../../src/dataverse/auth/bearer.ts';
import { DataverseClient } from '../../../src/dataverse/web-api/client.ts';
import { DataverseError } from '../../../src/dataverse/web-api/errors.ts';
import { json, startFakeServer, type FakeServer } from '../support/fake-server.ts';
import { MemoryLogger, VirtualClock } from '../support/fakes.ts';

let server: FakeServer;
let agent: Agent;

beforeEach(async () => {
  server = await startFakeServer();
  agent = new Agent({ keepAliveTimeout: 1000 });
});
afterEach(async () => {
  await agent.close();
  await server.close();
});

function countingSource(prefix = 'tok'): TokenSource & { count: number } {
  const src = {
    count: 0,
    async acquire() {
      src.count += 1;
      await new Promise((r) => setTimeout(r, 20));
      return { token: `${prefix}-${src.count}`, expiresOnMs: Date.now() + 3_600_000 };
    },
  };
  return src;
}

function client(options: Partial<ConstructorParameters<typeof DataverseClient>[0]> = {}, source = countingSource()): DataverseClient {
  const auth = new BearerAuth({ kind: 'static', source, dispatcher: agent, clock: { now: Date.now } });
  return new DataverseClient({ webApiUrl: server.webApiUrl, auth, random: () => 0.5, ...options });
}

describe('paging', () => {
  it('follows @odata.nextLink across pages and asks for the page size', async () => {
    server.handle((req, res) => {
      const page = Number(new URL(req.url, server.origin).searchParams.get('page') ?? '1');
      const value = [{ contactid: `c${page}a` }, { contactid: `c${page}b` }];
      json(res, 200, { value, ...(page < 3 ? { '@odata.nextLink': `${server.webApiUrl}contacts?page=${page + 1}` } : {}) });
    });
    const pages: number[] = [];
    for await (const page of client().pages('contacts', { select: ['contactid'], filter: "fullname eq 'O''Neil'" }, { maxPageSize: 2 })) {
      pages.push(page.value.length);
    }
    expect(pages).toEqual([2, 2, 2]);
    expect(server.requests).toHaveLength(3);
    expect(server.requests[0]?.headers.prefer).toBe('odata.maxpagesize=2');
    expect(decodeURIComponent(server.requests[0]?.url ?? '')).toContain("$filter=fullname eq 'O''Neil'");
    expect(server.requests.every((r) => r.headers.authorization === 'Bearer tok-1')).toBe(true);
  });

  it('never follows a nextLink to another host (the token would travel with it)', async () => {
    server.handle((_req, res) => json(res, 200, { value: [{}], '@odata.nextLink': 'https://evil.example/api/data/v9.2/contacts?p=2' }));
    const err = await client().list('contacts').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataverseError);
    expect((err as DataverseError).code).toBe('bad-response');
    expect(server.requests).toHaveLength(1);
  });

  it('splits a delta page into changed records and $deletedEntity ids', async () => {
    server.handle((_req, res) => json(res, 200, {
      value: [
        { contactid: 'a', telephone1: '030 1234' },
        { '@odata.context': `${server.webApiUrl}$metadata#contacts/$deletedEntity`, id: 'B0000000-0000-0000-0000-00000000000B', reason: 'deleted' },
      ],
      '@odata.deltaLink': `${server.webApiUrl}contacts?$deltatoken=2`,
    }));
    const pages = [];
    for await (const p of client().delta(`${server.webApiUrl}contacts?$deltatoken=1`)) pages.push(p);
    expect(pages).toEqual([{ changed: [{ contactid: 'a', telephone1: '030 1234' }], deleted: ['b0000000-0000-0000-0000-00000000000b'], deltaLink: `${server.webApiUrl}contacts?$deltatoken=2` }]);
    expect(server.requests[0]?.headers.prefer).toContain('odata.track-changes');
  });
});

describe('throttling (429 / 503 and Retry-After)', () => {
  it('honours sane values, clamps absurd ones and backs off on nonsense', async () => {
    const clock = new VirtualClock();
    // The HTTP date is written when the answer is sent, 3 s ahead of the (virtual) clock.
    const retryAfter = ['2', 'abc', '-1', '86400', 'DATE', '0'];
    server.handle((_req, res, i) => {
      const raw = retryAfter[i];
      const value = raw === 'DATE' ? new Date(clock.nowMs + 3000).toUTCString() : raw;
      if (value === undefined) return json(res, 200, { value: [] });
      json(res, i % 2 === 0 ? 429 : 503, { error: { code: '0x80072322', message: 'Number of requests exceeded the limit of 6000 over time window of 300 seconds.' } }, { 'Retry-After': value });
    });
    const c = client({ clock, retry: { maxAttempts: 10, maxWaitMs: 10_000, budgetMs: 600_000, baseDelayMs: 400 } });
    await expect(c.list('accounts')).resolves.toEqual([]);
    const [two, abc, minusOne, day, date, zero] = clock.sleeps;
    expect(two).toBeGreaterThanOrEqual(2000);
    expect(two).toBeLessThanOrEqual(2200);
    // nonsense: exponential back-off (attempt 2: 800 ms step, attempt 3: 1600 ms step), jittered
    expect(abc).toBeGreaterThanOrEqual(400);
    expect(abc).toBeLessThanOrEqual(800);
    expect(minusOne).toBeGreaterThanOrEqual(800);
    expect(minusOne).toBeLessThanOrEqual(1600);
    expect(day).toBe(10_000);
    // HTTP dates have whole seconds: 2–3 s, plus up to 10 % jitter.
    expect(date).toBeGreaterThanOrEqual(2000);
    expect(date).toBeLessThanOrEqual(3300);
    expect(zero).toBe(0);
    expect(server.requests).toHaveLength(7);
  });

  it('stops with retry-budget-exhausted when the next wait would pass the budget', async () => {
    const clock = new VirtualClock();
    server.handle((_req, res) => json(res, 429, { error: { code: '0x80072321', message: 'too many' } }, { 'Retry-After': '20' }));
    const err = (await client({ clock, retry: { maxAttempts: 50, maxWaitMs: 30_000, budgetMs: 60_000 } }).list('accounts').catch((e: unknown) => e)) as DataverseError;
    expect(err.code).toBe('retry-budget-exhausted');
    expect(err.status).toBe(429);
    expect(err.odataCode).toBe('0x80072321');
    expect(clock.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(60_000);
    expect(server.requests.length).toBeGreaterThanOrEqual(3);
  });

  it('ends with throttled after maxAttempts', async () => {
    const clock = new VirtualClock();
    server.handle((_req, res) => json(res, 429, { error: { code: '0x80072322', message: 'slow down' } }, { 'Retry-After': '1' }));
    const err = (await client({ clock, retry: { maxAttempts: 3 } }).list('accounts').catch((e: unknown) => e)) as DataverseError;
    expect(err.code).toBe('throttled');
    expect(err.attempts).toBe(3);
    expect(server.requests).toHaveLength(3);
  });

  it('retries a 429 even for a POST without an id (the server did not do it)', async () => {
    const clock = new VirtualClock();
    server.handle((_req, res, i) => {
      if (i === 0) return json(res, 429, { error: { code: '0x80072322', message: 'slow down' } }, { 'Retry-After': '1' });
      res.writeHead(204, { 'OData-EntityId': `${server.webApiUrl}ctapi_eventlogs(11111111-2222-3333-4444-555555555555)` }).end();
    });
    await expect(client({ clock }).create('ctapi_eventlogs', { ctapi_name: 'x' })).resolves.toEqual({ id: '11111111-2222-3333-4444-555555555555' });
    expect(server.requests).toHaveLength(2);
  });
});

describe('timeouts and lost responses', () => {
  it('times out a hung GET, retries it, and reports timeout', async () => {
    server.handle(() => {
      /* never answers */
    });
    const clock = new VirtualClock();
    const err = (await client({ clock, fetchTimeoutMs: 150, retry: { maxAttempts: 2 } }).list('accounts').catch((e: unknown) => e)) as DataverseError;
    expect(err.code).toBe('timeout');
    expect(server.requests).toHaveLength(2);
  });

  it('does not repeat a POST whose response was lost, unless the body carries its id', async () => {
    server.handle((_req, res) => res.socket?.destroy());
    const clock = new VirtualClock();
    const c = client({ clock, retry: { maxAttempts: 4 } });
    const err = (await c.create('phonecalls', { subject: 'x' }).catch((e: unknown) => e)) as DataverseError;
    expect(err.code).toBe('unreachable');
    expect(server.requests).toHaveLength(1);

    server.requests.length = 0;
    await c.create('phonecalls', { activityid: '11111111-2222-3333-4444-555555555555', subject: 'x' }, { bodyHasId: true }).catch(() => undefined);
    expect(server.requests).toHaveLength(4);
  });

  it('retries a connection refused POST (nothing was sent)', async () => {
    const url = server.webApiUrl;
    await server.close();
    const clock = new VirtualClock();
    const auth = new BearerAuth({ kind: 'static', source: countingSource(), dispatcher: agent, clock: { now: Date.now } });
    const c = new DataverseClient({ webApiUrl: url, auth, clock, retry: { maxAttempts: 3 } });
    const err = (await c.create('phonecalls', { subject: 'x' }).catch((e: unknown) => e)) as DataverseError;
    expect(err.code).toBe('unreachable');
    expect(err.attempts).toBe(3);
    expect(clock.sleeps).toHaveLength(2);
    server = await startFakeServer();
  });
});

describe('token renewal', () => {
  it('a token expiring mid-paging causes exactly one shared refresh for all concurrent readers', async () => {
    const source = countingSource();
    let accepted = 'tok-1';
    let served = 0;
    server.handle((req, res) => {
      if (req.headers.authorization !== `Bearer ${accepted}`) {
        res.writeHead(401, { 'WWW-Authenticate': 'Bearer error="invalid_token", error_description="The access token is expired"' }).end();
        return;
      }
      served += 1;
      const page = Number(new URL(req.url, server.origin).searchParams.get('page') ?? '1');
      // After the first pages were served the token "expires" on the server side.
      if (served === 5) accepted = 'tok-2';
      json(res, 200, { value: [{ page }], ...(page < 4 ? { '@odata.nextLink': `${server.webApiUrl}accounts?page=${page + 1}` } : {}) });
    });
    const c = client({}, source);
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => c.list('accounts')));
    for (const r of results) expect(r).toHaveLength(4);
    expect(source.count).toBe(2);
  });

  it('a 401 that persists after the refresh is an unauthorized error, not a loop', async () => {
    const source = countingSource();
    server.handle((_req, res) => res.writeHead(401, { 'WWW-Authenticate': 'Bearer' }).end());
    const err = (await client({}, source).list('accounts').catch((e: unknown) => e)) as DataverseError;
    expect(err.code).toBe('unauthorized');
    expect(err.transient).toBe(true);
    expect(server.requests).toHaveLength(2);
    expect(source.count).toBe(2);
  });
});

describe('writes', () => {
  it('sets CallerObjectId online and MSCRMCallerID on-premises', async () => {
    server.handle((_req, res) => res.writeHead(204, { 'OData-EntityId': `${server.webApiUrl}phonecalls(11111111-2222-3333-4444-555555555555)` }).end());
    const who = { systemUserId: 'aaaaaaaa-0000-0000-0000-000000000001', entraObjectId: 'bbbbbbbb-0000-0000-0000-000000000002' };
    await client({ impersonation: 'CallerObjectId' }).create('phonecalls', { subject: 'a' }, { onBehalfOf: who });
    await client({ impersonation: 'MSCRMCallerID' }).create('phonecalls', { subject: 'b' }, { onBehalfOf: who });
    await client({ impersonation: 'CallerObjectId' }).create('phonecalls', { subject: 'c' }, { onBehalfOf: { systemUserId: who.systemUserId } });
    expect(server.requests[0]?.headers.callerobjectid).toBe(who.entraObjectId);
    expect(server.requests[0]?.headers.mscrmcallerid).toBeUndefined();
    expect(server.requests[1]?.headers.mscrmcallerid).toBe(who.systemUserId);
    expect(server.requests[2]?.headers.mscrmcallerid).toBe(who.systemUserId);
  });

  it('createIfAbsent sends If-None-Match: * and maps 412 to "exists"', async () => {
    server.handle((_req, res, i) => {
      if (i === 0) return res.writeHead(204).end();
      json(res, 412, { error: { code: '0x80060892', message: 'A record with matching key values already exists.' } });
    });
    const c = client();
    const id = '11111111-2222-3333-4444-555555555555';
    await expect(c.createIfAbsent('ctapi_calllogs', id, { ctapi_name: 'x' })).resolves.toBe('created');
    await expect(c.createIfAbsent('ctapi_calllogs', id, { ctapi_name: 'x' })).resolves.toBe('exists');
    expect(server.requests[0]?.method).toBe('PATCH');
    expect(server.requests[0]?.url).toBe(`/api/data/v9.2/ctapi_calllogs(${id})`);
    expect(server.requests[0]?.headers['if-none-match']).toBe('*');
  });

  it('maps statuses to codes and keeps the OData error code', async () => {
    const cases: Array<[number, string, string]> = [
      [400, '0x80048d19', 'bad-request'], [403, '0x80040220', 'forbidden'], [404, '0x80040217', 'not-found'],
      [409, '0x80040237', 'conflict'], [400, '0x80044352', 'delta-expired'],
    ];
    const c = client({ retry: { maxAttempts: 1 } });
    for (const [status, odataCode, code] of cases) {
      server.handle((_req, res) => json(res, status, { error: { code: odataCode, message: 'server says no' } }));
      const err = (await c.update('accounts', '11111111-2222-3333-4444-555555555555', { name: 'x' }).catch((e: unknown) => e)) as DataverseError;
      expect([err.code, err.status, err.odataCode]).toEqual([code, status, odataCode]);
      expect(err.message).toContain('PATCH /api/data/v9.2/accounts(');
    }
  });

  it('retrieve answers null for a missing record', async () => {
    server.handle((_req, res) => json(res, 404, { error: { code: '0x80040217', message: 'account With Id = … Does Not Exist' } }));
    await expect(client().retrieve('accounts', '11111111-2222-3333-4444-555555555555', ['name'])).resolves.toBeNull();
  });
});

describe('secrets', () => {
  it('never puts the bearer token into errors or log lines', async () => {
    const logger = new MemoryLogger();
    const source: TokenSource = { acquire: async () => ({ token: 'SECRET-TOKEN-abc123', expiresOnMs: Date.now() + 3_600_000 }) };
    server.handle((_req, res, i) => {
      if (i < 2) return json(res, 503, { error: { code: '0x0', message: 'busy' } }, { 'Retry-After': '0' });
      json(res, 400, { error: { code: '0x0', message: 'bad' } });
    });
    const auth = new BearerAuth({ kind: 'static', source, dispatcher: agent, clock: { now: Date.now }, logger });
    const c = new DataverseClient({ webApiUrl: server.webApiUrl, auth, logger, clock: new VirtualClock() });
    const err = (await c.list('accounts').catch((e: unknown) => e)) as DataverseError;
    expect(err.code).toBe('bad-request');
    expect(logger.lines.length).toBeGreaterThan(0);
    const everything = [...logger.lines, err.message, JSON.stringify(err), String(err.stack)].join('\n');
    expect(everything).not.toContain('SECRET-TOKEN');
  });
});
