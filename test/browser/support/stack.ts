// One whole stack per browser test file: the demo's composition (simulated
// Dataverse, manager, connector with the simulated PBX, demo users on lines),
// the client bundle, the harness page server and Chromium.
import type { Browser, Page } from 'playwright-core';
import { buildClient, DEFAULT_CLIENT_DIR } from '../../../scripts/build-client.ts';
import { startDemoStack, type DemoStack } from '../../../src/cli/commands/demo-stack.ts';
import { launchChromium } from './chromium.ts';
import { startHarnessServer, type HarnessServer } from './harness-server.ts';

export interface BrowserWorld {
  stack: DemoStack;
  harness: HarnessServer;
  browser: Browser;
  close(): Promise<void>;
}

export async function startWorld(): Promise<BrowserWorld> {
  await buildClient(DEFAULT_CLIENT_DIR);
  const harness = await startHarnessServer(DEFAULT_CLIENT_DIR);
  const stack = await startDemoStack({ allowedOrigins: [harness.origin], logLevel: process.env.TEST_LOG ?? 'info' });
  harness.setDataverse(stack.dv);
  const browser = await launchChromium();
  return {
    stack, harness, browser,
    async close() {
      await browser.close();
      await stack.stop();
      await harness.close();
    },
  };
}

export interface Ringing {
  session: string;
  callIds: string[];
}

export async function control(stack: DemoStack, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${stack.controlUrl}${path}`, { method, ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }) });
  const text = await res.text();
  if (!res.ok) throw new Error(`PBX ${method} ${path}: ${res.status} ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

/** Rings `to` once the line is free (an earlier test's call may still be clearing). */
export async function ring(stack: DemoStack, from: string, to: string): Promise<Ringing> {
  await until(async () => ((await pbxCalls(stack)).some((c) => c.line === to) ? undefined : true));
  const r = (await control(stack, 'POST', '/calls', { from, to })) as Ringing & { outcome: string };
  if (r.outcome !== 'ringing') throw new Error(`line ${to} did not ring: ${r.outcome}`);
  return r;
}

export async function hangUp(stack: DemoStack, r: Ringing): Promise<void> {
  await control(stack, 'POST', `/sessions/${r.session}/remote-hangup`).catch(() => undefined);
}

export interface PbxCall {
  callId: string;
  line: string;
  state: string;
  origin: string;
  called?: { number?: string };
}

export async function pbxCalls(stack: DemoStack): Promise<PbxCall[]> {
  return (await control(stack, 'GET', '/calls')) as PbxCall[];
}

/** Opens a harness page and waits until its client is connected to the manager. */
export async function openHarness(page: Page, url: string): Promise<void> {
  await page.goto(url);
  const ready = await page.evaluate(() => (window as unknown as { harnessReady: Promise<unknown> }).harnessReady);
  if (ready !== true) throw new Error(`harness did not start: ${String(ready)}`);
  await page.locator('[data-testid=ctapi-status][data-status=connected]').waitFor({ timeout: 15_000 });
}

export async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
