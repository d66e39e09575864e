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
import { HAVE_CHROMIUM, launchChromium } from '../browser/support/chromium.ts';

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

  it('passes every case', async () => {
    const ctx = new ClientContext({
      acceptMs: 20_000, replyMs: 3_000, heartbeatInterval: 1, hookTimeoutMs: 10_000,
      onDial: async () => {
        await page.getByTestId('missed-callback').first().click({ timeout: 5_000 });
      },
    }, listener);
    const report = await runSuite('client', page.url(), CLIENT_CASES, ctx, { caseTimeoutMs: 30_000 });
    const bad = report.results.filter((r) => r.status !== 'pass');
    expect(bad.map(formatResult).join('\n')).toBe('');
    expect(report.passed).toBe(true);
  }, 120_000);
});
