// The client role against our real softphone panel in headless Chromium
// (Debian's /usr/bin/chromium, playwright-core): the panel is served and
// signed in by the demo stack (simulated Dataverse, OAuth code + PKCE) and
// pointed at the suite as its manager (`manager=` parameter). The on-dial
// hook clicks "call back" in the panel's missed-calls list.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildClient, DEFAULT_CLIENT_DIR } from '../../scripts/build-client.ts';
import { startDemoStack, type DemoStack } from '../../src/cli/commands/demo-stack.ts';
import { CLIENT_CASES, ClientContext, ClientListener, formatResult, runSuite } from '../../src/conformance/index.ts';
import { CALL_CONTROLS, type TapiMessage } from '../../src/protocol/index.ts';
import { HAVE_CHROMIUM, launchChromium } from '../browser/support/chromium.ts';
import { wsRelay, type Relay, type Rules } from './support/proxy.ts';

if (!HAVE_CHROMIUM) console.warn('conformance client tests skipped: /usr/bin/chromium is absent (apt-get install -y chromium)');

describe.skipIf(!HAVE_CHROMIUM)('conformance client against the softphone panel in Chromium', () => {
  let stack: DemoStack;
  let browser: Browser;
  let page: Page;
  let listener: ClientListener;

  beforeAll(async () => {
    await buildClient(DEFAULT_CLIENT_DIR);
    listener = await ClientListener.listen(0);
    stack = await startDemoStack({ logLevel: process.env.TEST_LOG ?? 'info' });
    browser = await launchChromium();
    page = await browser.newPage();
    await page.goto(`${stack.panelUrl('emily')}&manager=${encodeURIComponent(`ws://127.0.0.1:${listener.port}/`)}`);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await listener?.close();
    await stack?.stop();
  });

  const contextFor = (l: ClientListener, p: () => Page, acceptMs = 20_000): ClientContext => new ClientContext({
    acceptMs, replyMs: 3_000, heartbeatInterval: 1, hookTimeoutMs: 10_000,
    onDial: async () => {
      await p().getByTestId('missed-callback').first().click({ timeout: 5_000 });
    },
    // The call's control buttons (ui/call-controls.ts), in its popup or in the call bar.
    onControl: async (env) => {
      const view = p().locator(`[data-testid="call-controls"][data-call="${env.CONFORMANCE_CALL_KEY}"]`);
      const button = view.getByTestId(`cc-${env.CONFORMANCE_ACTION}`);
      if ((await view.count()) === 0 || !(await button.isVisible())) return 'not-offered';
      if (env.CONFORMANCE_TARGET) await view.getByTestId('cc-target').fill(env.CONFORMANCE_TARGET);
      await button.click({ timeout: 5_000 });
      return 'done';
    },
    showCall: (env) => p().evaluate((key) => {
      const el = [...document.querySelectorAll<HTMLElement>('[data-testid="call-controls"]')].find((e) => e.dataset.call === key);
      if (el === undefined) return '';
      const offers = [...el.querySelectorAll<HTMLButtonElement>('button[data-testid^="cc-"]')].filter((b) => !b.hidden && !el.hidden).map((b) => (b.dataset.testid ?? '').slice(3));
      const note = el.querySelector<HTMLElement>('[data-testid="cc-note"]');
      return [`state=${el.dataset.state ?? ''}`, `offers=${offers.join(' ')}`, `message=${note?.dataset.error ? note.textContent ?? '' : ''}`, `consultation=${el.dataset.consultation ?? ''}`].join('\n');
    }, env.CONFORMANCE_CALL_KEY ?? ''),
  }, l);

  it('passes every case', async () => {
    const report = await runSuite('client', page.url(), CLIENT_CASES, contextFor(listener, () => page), { caseTimeoutMs: 30_000 });
    const bad = report.results.filter((r) => r.status !== 'pass');
    expect(bad.map(formatResult).join('\n')).toBe('');
    expect(report.passed).toBe(true);
  }, 120_000);

  // Deliberately broken clients: the same panel behind a relay that breaks one promise each.
  describe('catches broken clients', () => {
    const live: Rules = {};
    let relay: Relay;
    let brokenListener: ClientListener;
    let brokenPage: Page;
    const failedGroups = new Set<string>();
    const drop = (test: (m: TapiMessage) => boolean) => (m: TapiMessage): TapiMessage[] => (test(m) ? [] : [m]);

    beforeAll(async () => {
      await page.close();
      brokenListener = await ClientListener.listen(0);
      relay = await wsRelay(`ws://127.0.0.1:${brokenListener.port}/`, live);
      brokenPage = await browser.newPage();
      await brokenPage.goto(`${stack.panelUrl('emily')}&manager=${encodeURIComponent(`ws://127.0.0.1:${relay.port}/`)}`);
    }, 60_000);

    afterAll(async () => {
      await relay?.close();
      await brokenListener?.close();
    });

    const variants: { name: string; rules: Rules; only: string[]; fails: Record<string, RegExp> }[] = [
      {
        name: 'a client that answers notifications with errors',
        rules: { down: (m, { back }) => (m.command === 'callNotification' ? (back({ channel: 'intincall', command: 'error', code: 'invalid-field', message: 'broken on purpose' }), [m]) : [m]) },
        only: ['B-NOT-01', 'B-NOT-02'], fails: { 'B-NOT-01': /answered call notifications/, 'B-NOT-02': /answered unknown elements/ },
      },
      {
        name: 'a client that dials on another line',
        rules: { up: (m) => [m.command === 'dial' ? { ...m, line: 'conformance:999' } : m] },
        only: ['B-DIAL-01'], fails: { 'B-DIAL-01': /not the welcomed/ },
      },
      {
        name: 'a client that closes on a malformed message',
        rules: { downRaw: (_text, suiteSide) => (suiteSide.close(1000), true) },
        only: ['B-MAL-01'], fails: { 'B-MAL-01': /closed/ },
      },
      {
        name: 'a client that answers no bad message',
        rules: { up: drop((m) => m.command === 'error') },
        only: ['B-MAL-02'], fails: { 'B-MAL-02': /no error unknown-command/ },
      },
      {
        name: 'a client that sends no heartbeat',
        rules: { up: drop((m) => m.command === 'heartbeat') },
        only: ['B-HB-01'], fails: { 'B-HB-01': /no heartbeat/ },
      },
      {
        name: 'a client that proves with another nonce',
        rules: { up: (m) => [m.command === 'prove' ? { ...m, nonce: `${m.nonce}x` } : m] },
        only: ['B-HS-01'], fails: { 'B-HS-01': /nonce/ },
      },
      {
        name: 'a client that takes any major version',
        rules: { down: (m) => [m.command === 'welcome' && m.protocolVersion === '2.0' ? { ...m, protocolVersion: '1.0' } : m] },
        only: ['B-HS-02'], fails: { 'B-HS-02': /no error unsupported-version/ },
      },
      {
        name: 'a client that offers controls its line does not list',
        rules: { down: (m) => [m.command === 'welcome' ? { ...m, lines: m.lines.map((x) => ({ ...x, controls: [...CALL_CONTROLS] })) } : m] },
        only: ['B-CC-01'], fails: { 'B-CC-01': /offers transfer, consult/ },
      },
      {
        name: 'a client that takes a refused control for done and never shows a held call',
        rules: { down: (m) => (m.command === 'callNotification' && m.state === 'onhold' ? [] : [m.command === 'callControlResult' ? { channel: 'intincall', command: 'callControlResult', requestId: m.requestId, ok: true } : m]) },
        only: ['B-CC-02', 'B-CC-03'], fails: { 'B-CC-02': /does not show the call onhold/, 'B-CC-03': /does not show the refusal/ },
      },
      {
        name: 'a client that shows a consultation as a call of its own and transfers to another number',
        rules: {
          down: (m) => [m.command === 'callNotification' ? (({ consultationOf: _c, ...rest }) => rest)(m) : m],
          up: (m) => [m.command === 'callControl' && m.action === 'transfer' ? { ...m, target: '0' } : m],
        },
        only: ['B-CC-04', 'B-CC-05'], fails: { 'B-CC-04': /does not show the consultation/, 'B-CC-05': /not the number typed/ },
      },
      {
        name: 'a client that never reconnects',
        rules: { admit: (() => { let n = 0; return () => (n += 1) === 1; })() },
        only: ['B-RC-01'], fails: { 'B-RC-01': /no client connected/ },
      },
    ];

    for (const v of variants) {
      it(v.name, async () => {
        for (const k of Object.keys(live) as (keyof Rules)[]) delete live[k];
        Object.assign(live, v.rules);
        relay.reset?.();
        const ctx = contextFor(brokenListener, () => brokenPage, v.name.includes('reconnects') ? 4_000 : 20_000);
        const report = await runSuite('client', 'broken', CLIENT_CASES, ctx, { only: v.only, caseTimeoutMs: 30_000 });
        expect(report.passed).toBe(false);
        for (const [id, reason] of Object.entries(v.fails)) {
          const r = report.results.find((x) => x.id === id);
          expect(r?.status, `${id}: ${r?.reason ?? 'not run'}`).toBe('fail');
          expect(r?.reason).toMatch(reason);
          if (r?.level === 'MUST') failedGroups.add(r.group);
        }
      }, 60_000);
    }

    it('every MUST group is failed by at least one broken variant', () => {
      const groups = new Set(CLIENT_CASES.filter((c) => c.level === 'MUST').map((c) => c.group));
      expect([...groups].filter((g) => !failedGroups.has(g))).toEqual([]);
    });

    it('every case is shown to fail on some broken client', () => {
      const shown = new Set(variants.flatMap((v) => Object.keys(v.fails)));
      expect(CLIENT_CASES.map((c) => c.id).filter((id) => !shown.has(id))).toEqual([]);
    });
  });
});
