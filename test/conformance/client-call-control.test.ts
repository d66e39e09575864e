// The client role's call-control cases without a browser: what the show-call
// hook's output means, and that the cases are skipped (saying which hook is
// missing) when the integrator gives no hooks.
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { CLIENT_CASES, ClientContext, ClientListener, runSuite } from '../../src/conformance/index.ts';
import { parseView } from '../../src/conformance/client-role/cc-play.ts';

describe('client role, call control', () => {
  it('reads the show-call output: key=value lines, unknown keys ignored, missing ones empty', () => {
    const v = parseView('state=onhold\r\noffers= drop unhold  transfer\nmessage=Hold: refused = no\nfuture=1\n');
    expect(v).toEqual({ state: 'onhold', offers: new Set(['drop', 'unhold', 'transfer']), message: 'Hold: refused = no', consultation: '' });
    expect(parseView('')).toEqual({ state: '', offers: new Set(), message: '', consultation: '' });
  });

  test.prop([fc.constantFrom('connected', 'onhold', ''), fc.uniqueArray(fc.constantFrom('drop', 'hold', 'unhold', 'transfer', 'consult')), fc.string().filter((s) => !/[\r\n]/.test(s) && s.trim() === s)])(
    'what a hook prints is what the suite reads', (state, offers, message) => {
      const v = parseView([`state=${state}`, `offers=${offers.join(' ')}`, `message=${message}`, 'consultation=k/2'].join('\n'));
      expect(v).toEqual({ state, offers: new Set(offers), message, consultation: 'k/2' });
    },
  );

  it('without --on-control and --show-call the B-CC cases are skipped with the hook to give', async () => {
    const listener = await ClientListener.listen(0);
    try {
      const ctx = new ClientContext({ acceptMs: 500, replyMs: 500, heartbeatInterval: 1, hookTimeoutMs: 500 }, listener);
      const report = await runSuite('client', 'no hooks', CLIENT_CASES, ctx, { only: ['B-CC'] });
      expect(report.results.map((r) => [r.id, r.status])).toEqual(['B-CC-01', 'B-CC-02', 'B-CC-03', 'B-CC-04', 'B-CC-05'].map((id) => [id, 'skip']));
      expect(report.results[0]?.reason).toMatch(/needs --show-call/);
      expect(report.results[1]?.reason).toMatch(/needs --on-control: .*; and --show-call: /);
      expect(report.passed).toBe(true);
    } finally {
      await listener.close();
    }
  });
});
