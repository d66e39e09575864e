import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { appToken, startSim } from './support.ts';

let dv: Awaited<ReturnType<typeof startSim>>;
let token: string;

beforeAll(async () => {
  dv = await startSim();
  token = await appToken(dv);
});
afterAll(async () => { await dv.close(); });

const segment = fc.oneof(
  fc.constantFrom('accounts', 'contacts(', "accounts(accountnumber='", 'WhoAmI', '$batch', 'systemusers(', ')/Microsoft.Dynamics.CRM.RetrieveUserPrivileges', '%', '%E0%A4%A', '(', "'", '00000000-0000-0000-0000-000000000000', ')'),
  fc.string({ maxLength: 12 }),
);
const query = fc.array(fc.tuple(fc.constantFrom('$select', '$filter', '$top', '$orderby', '$count', '$skiptoken', '$deltatoken', '$expand', 'x'), fc.string({ maxLength: 16 })), { maxLength: 3 });

describe('robustness', () => {
  it('random Web API requests get an answer below 500, and the simulator keeps serving (property)', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE'), fc.array(segment, { minLength: 1, maxLength: 3 }), query,
      fc.option(fc.oneof(fc.string({ maxLength: 30 }), fc.json()), { nil: undefined }),
      fc.record({ prefer: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }), ifMatch: fc.option(fc.constantFrom('*', 'W/"1"', 'x'), { nil: undefined }), caller: fc.option(fc.string({ maxLength: 40 }), { nil: undefined }) }),
      async (method, segments, params, body, h) => {
        const qs = params.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
        const url = `${dv.webApiUrl}${segments.join('')}${qs ? `?${qs}` : ''}`;
        const headers: Record<string, string> = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
        if (h.prefer !== undefined) headers['Prefer'] = h.prefer.replace(/[^\x20-\x7e]/g, '');
        if (h.ifMatch !== undefined) headers['If-Match'] = h.ifMatch;
        if (h.caller !== undefined) headers['MSCRMCallerID'] = h.caller.replace(/[^\x20-\x7e]/g, '');
        let res: Response;
        try {
          res = await fetch(url, { method, headers, ...(method === 'GET' || body === undefined ? {} : { body }) });
        } catch (err) {
          // Only URLs fetch itself refuses to send may fail here.
          expect(String(err)).toMatch(/Invalid URL|TypeError/);
          return;
        }
        await res.arrayBuffer();
        expect(res.status, `${method} ${url}`).toBeLessThan(500);
      },
    ), { numRuns: 150 });
    expect((await fetch(`${dv.webApiUrl}WhoAmI`, { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('random token-endpoint forms get an OAuth error, not a crash (property)', async () => {
    await fc.assert(fc.asyncProperty(fc.dictionary(fc.constantFrom('grant_type', 'client_id', 'client_secret', 'scope', 'username', 'password', 'code', 'client_assertion', 'client_assertion_type', 'refresh_token'), fc.string({ maxLength: 20 })), async (form) => {
      const res = await fetch(dv.tokenUrl, { method: 'POST', body: new URLSearchParams(form) });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(((await res.json()) as { error: string }).error).toMatch(/^[a-z_]+$/);
    }), { numRuns: 60 });
  });
});
