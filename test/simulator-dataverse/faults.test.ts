import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { FaultInjector } from '../../simulator/dataverse/index.ts';
import { api, appToken, startSim, type Api } from './support.ts';

let dv: Awaited<ReturnType<typeof startSim>>;
let call: Api;
let token: string;

beforeAll(async () => {
  dv = await startSim({ faultSeed: 42 });
  token = await appToken(dv);
  call = api(dv, token);
});
afterAll(async () => { await dv.close(); });
beforeEach(() => { dv.faults.clear(); });

/** POST over node:http so a reset connection shows as a socket error, not a fetch retry. */
function rawPost(path: string, body: unknown): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(`${dv.webApiUrl}${path}`, { method: 'POST', agent: false, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    req.end(JSON.stringify(body));
  });
}

function phonecallsWithSubject(subject: string): number {
  let n = 0;
  for (const r of dv.store.all('phonecall')) if (r['subject'] === subject) n += 1;
  return n;
}

describe('fault injection', () => {
  it('429 carries the service-protection error and the Retry-After value verbatim, whatever it is', async () => {
    for (const retryAfter of ['2', 'abc', '-1', '86400', 'Wed, 21 Oct 2015 07:28:00 GMT']) {
      dv.faults.throttle({ retryAfter, times: 1 });
      const res = await call('WhoAmI');
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe(retryAfter);
      expect(res.body.error.code).toBe('0x80072322');
      expect((await call('WhoAmI')).status).toBe(200);
    }
    dv.faults.throttle({ limit: 'execution-time', times: 1 });
    const res = await call('WhoAmI');
    expect(res.headers.get('retry-after')).toBeNull();
    expect(res.body.error.code).toBe('0x80072321');
  });

  it('unauthorized: the Web API answers 401 with the challenge and does nothing; on the token endpoint the credentials are refused', async () => {
    dv.faults.unauthorized({ method: 'POST', path: 'phonecalls', times: 1 });
    const refused = await call('phonecalls', { method: 'POST', body: { subject: 'refused' } });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(phonecallsWithSubject('refused')).toBe(0);
    expect((await call('phonecalls', { method: 'POST', body: { subject: 'refused' } })).status).toBe(204);
    expect(phonecallsWithSubject('refused')).toBe(1);
    dv.faults.unauthorized({ target: 'token' });
    await expect(appToken(dv)).rejects.toThrow(/token: 401 .*invalid_client.*AADSTS7000215/);
    expect((await call('WhoAmI')).status).toBe(200); // a token issued before still works
    dv.faults.clear();
    expect(await appToken(dv)).toMatch(/\./);
    expect(dv.faults.fired.unauthorized).toBe(2);
  });

  it('a throttled write is not applied; N times means exactly N', async () => {
    dv.faults.throttle({ method: 'POST', path: 'phonecalls', times: 3, retryAfter: '0' });
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await call('phonecalls', { method: 'POST', body: { subject: 'storm' } })).status);
    expect(statuses).toEqual([429, 429, 429, 204]);
    expect(phonecallsWithSubject('storm')).toBe(1);
    expect(dv.faults.list()).toEqual([]);
  });

  it('503 with and without Retry-After; only matching method and path', async () => {
    dv.faults.unavailable({ method: 'GET', path: '/WhoAmI/', retryAfter: '5' });
    expect((await call('RetrieveVersion')).status).toBe(200);
    const res = await call('WhoAmI');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
  });

  it('latency delays the answer by at least the given time', async () => {
    dv.faults.latency(150, { times: 1 });
    const t0 = performance.now();
    expect((await call('WhoAmI')).status).toBe(200);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
  });

  it('lose-response (reset): the write is committed but the client sees the connection reset', async () => {
    dv.faults.loseResponse({ mode: 'reset', times: 1 });
    const res = await rawPost('phonecalls', { subject: 'lost-reset' });
    expect(res.error).toBe('ECONNRESET');
    expect(phonecallsWithSubject('lost-reset')).toBe(1);
  });

  it('lose-response (504): the write is committed but the answer is a gateway timeout', async () => {
    dv.faults.loseResponse({ mode: '504', times: 1 });
    const res = await call('phonecalls', { method: 'POST', body: { subject: 'lost-504' } });
    expect(res.status).toBe(504);
    expect(phonecallsWithSubject('lost-504')).toBe(1);
  });

  it('reset before handling: nothing is written', async () => {
    dv.faults.reset({ times: 1 });
    const res = await rawPost('phonecalls', { subject: 'reset-early' });
    expect(res.error).toBe('ECONNRESET');
    expect(phonecallsWithSubject('reset-early')).toBe(0);
  });

  it('expire tokens now: the old token gets 401 with WWW-Authenticate, a new one works', async () => {
    expect(dv.faults.expireTokensNow()).toBeGreaterThan(0);
    const res = await call('WhoAmI');
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer error="invalid_token", error_description="The access token has expired", authorization_uri=http:\/\/127\.0\.0\.1:\d+\/[0-9a-f-]{36}\/oauth2\/authorize, resource_id=http:\/\/127\.0\.0\.1:\d+\//);
    token = await appToken(dv);
    call = api(dv, token);
    expect((await call('WhoAmI')).status).toBe(200);
  });

  it('probability rules replay the same sequence for the same seed', () => {
    const run = (seed: number): boolean[] => {
      const f = new FaultInjector(seed);
      f.throttle({ probability: 0.5 });
      return Array.from({ length: 40 }, () => f.take({ target: 'webapi', method: 'GET', path: '/x' }, ['throttle']).length > 0);
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    const hits = run(7).filter(Boolean).length;
    expect(hits).toBeGreaterThan(8);
    expect(hits).toBeLessThan(32);
  });

  it('rejects invalid rules with a SimulatorError', () => {
    expect(() => dv.faults.add({ kind: 'explode' })).toThrow(/kind/);
    expect(() => dv.faults.add({ kind: 'latency' })).toThrow(/latencyMs/);
    expect(() => dv.faults.add({ kind: 'throttle', probability: 2 })).toThrow(/probability/);
  });
});

describe('control API over HTTP', () => {
  it('adds and clears faults, moves the clock, reads the request log', async () => {
    const add = await fetch(`${dv.controlUrl}faults`, { method: 'POST', body: JSON.stringify({ kind: 'throttle', retryAfter: 'abc', times: 1 }) });
    expect(add.status).toBe(201);
    expect((await call('WhoAmI')).status).toBe(429);
    const bad = await fetch(`${dv.controlUrl}faults`, { method: 'POST', body: JSON.stringify({ kind: 'nope' }) });
    expect(bad.status).toBe(400);
    const clock = await fetch(`${dv.controlUrl}clock`, { method: 'POST', body: JSON.stringify({ set: '2030-01-01T00:00:00Z' }) });
    expect(await clock.json()).toEqual({ now: '2030-01-01T00:00:00.000Z' });
    const expire = await fetch(`${dv.controlUrl}tokens/expire`, { method: 'POST' });
    expect(expire.status).toBe(200);
    const log = (await (await fetch(`${dv.controlUrl}requests`)).json()) as { status: number; path: string }[];
    expect(log.some((e) => e.status === 429 && e.path.endsWith('/WhoAmI'))).toBe(true);
    expect((await fetch(`${dv.controlUrl}nothing`)).status).toBe(404);
    dv.clock.resume();
    token = await appToken(dv);
    call = api(dv, token);
  });
});
