// Token caching: renewed shortly before expiry, shared while in flight, and a
// failing renewal surfaces as an unauthorized AuthError (never the secret).
import { afterAll, describe, expect, it } from 'vitest';
import { Agent } from 'undici';
import { BearerAuth, type TokenSource } from '../../../src/dataverse/auth/bearer.ts';
import { AuthError } from '../../../src/dataverse/web-api/errors.ts';

function source(lifetimeMs: number, now: () => number): TokenSource & { calls: boolean[] } {
  const s = {
    calls: [] as boolean[],
    async acquire(force: boolean) {
      s.calls.push(force);
      await new Promise((r) => setTimeout(r, 10));
      return { token: `t${s.calls.length}`, expiresOnMs: now() + lifetimeMs };
    },
  };
  return s;
}

const dispatcher = new Agent();
afterAll(() => dispatcher.close());

describe('BearerAuth', () => {
  it('reuses a token until five minutes before it expires, then renews it without forcing', async () => {
    let now = 1_000_000;
    const src = source(60 * 60_000, () => now);
    const auth = new BearerAuth({ kind: 'static', source: src, dispatcher, clock: { now: () => now } });
    expect(await auth.token()).toBe('t1');
    now += 54 * 60_000;
    expect(await auth.token()).toBe('t1');
    now += 2 * 60_000; // 4 minutes left
    expect(await auth.token()).toBe('t2');
    expect(src.calls).toEqual([false, false]);
  });

  it('concurrent callers share one acquisition; a forced renewal for a stale token happens once', async () => {
    const now = Date.now;
    const src = source(3_600_000, now);
    const auth = new BearerAuth({ kind: 'static', source: src, dispatcher, clock: { now } });
    expect(new Set(await Promise.all([1, 2, 3, 4].map(() => auth.token())))).toEqual(new Set(['t1']));
    expect(new Set(await Promise.all([1, 2, 3, 4].map(() => auth.token('t1'))))).toEqual(new Set(['t2']));
    expect(src.calls).toEqual([false, true]);
    expect(auth.acquisitions).toBe(2);
  });

  it('a failing token source becomes an unauthorized AuthError without its message', async () => {
    const auth = new BearerAuth({
      kind: 'static',
      source: { acquire: async () => { throw new Error('password=Hunter2 rejected'); } },
      dispatcher,
      clock: { now: Date.now },
    });
    const err = (await auth.token().catch((e: unknown) => e)) as AuthError;
    expect(err).toBeInstanceOf(AuthError);
    expect(err.code).toBe('unauthorized');
    expect([err.message, String(err.cause), String(err.stack)].join('\n')).not.toContain('Hunter2');
  });
});
