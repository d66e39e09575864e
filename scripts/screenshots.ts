// Regenerates the README's screenshots from the real thing: the demo stack
// (simulated Dataverse, manager, connector with the simulated PBX), the built
// softphone panel and Debian's Chromium under playwright-core, as the browser
// tests run them. Run: npm run screenshots [-- outDir]   (default docs/img)
//   ringing.png    the popup of a ringing call, the panel at 420 px
//   connected.png  the same call answered: header with its timer, the call's buttons, the line busy
//   panel.png      the panel at 340 px: the lines, a missed call, a number in the dial box
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Page } from 'playwright-core';
import { buildClient, DEFAULT_CLIENT_DIR } from './build-client.ts';
import { DEMO_CALLER, startDemoStack, type DemoStack } from '../src/cli/commands/demo-stack.ts';
import { packageRoot } from '../src/config/package-root.ts';

export const SCREENSHOTS = ['ringing.png', 'connected.png', 'panel.png'] as const;
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--hide-scrollbars'];

async function pbx(stack: DemoStack, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${stack.controlUrl}${path}`, { method: 'POST', ...(body === undefined ? {} : { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }) });
  const text = await res.text();
  if (!res.ok) throw new Error(`simulated PBX ${path}: ${res.status} ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

async function lineFree(stack: DemoStack, ext: string): Promise<void> {
  for (let i = 0; i < 150; i += 1) {
    const calls = (await (await fetch(`${stack.controlUrl}/calls`)).json()) as { line: string }[];
    if (!calls.some((c) => c.line === ext)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`line ${ext} stayed busy`);
}

async function signedIn(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.locator('[data-testid=ctapi-status][data-status=connected]').waitFor({ timeout: 30_000 });
  await page.locator('[data-testid=line-row]').first().waitFor();
}

/** Takes the three screenshots into `outDir`; returns their paths. */
export async function takeScreenshots(outDir: string): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  await buildClient(DEFAULT_CLIENT_DIR);
  const stack = await startDemoStack({ logLevel: 'warn' });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS, timeout: 30_000 });
  const out = SCREENSHOTS.map((f) => join(outDir, f));
  try {
    const wide = await (await browser.newContext({ viewport: { width: 420, height: 520 }, locale: 'en-GB' })).newPage();
    await signedIn(wide, stack.panelUrl('emily'));
    const ringing = (await pbx(stack, '/calls', { from: DEMO_CALLER.number, to: '21' })) as { session: string };
    const popup = wide.getByTestId('crm-tapi-popup');
    await popup.waitFor({ timeout: 30_000 });
    await wide.screenshot({ path: out[0] });
    await popup.getByTestId('popup-answer').click();
    await wide.locator('[data-testid=crm-tapi-popup][data-phase=connected]').waitFor();
    await wide.waitForTimeout(3_200);
    await wide.screenshot({ path: out[1] });
    await pbx(stack, `/sessions/${ringing.session}/remote-hangup`);
    await lineFree(stack, '21');
    await wide.context().close();

    const narrow = await (await browser.newContext({ viewport: { width: 340, height: 600 }, locale: 'en-GB' })).newPage();
    await signedIn(narrow, stack.panelUrl('emily'));
    const missed = (await pbx(stack, '/calls', { from: '+49 341 98765432', to: '22' })) as { session: string };
    await narrow.getByTestId('crm-tapi-popup').waitFor({ timeout: 30_000 });
    await pbx(stack, `/sessions/${missed.session}/remote-hangup`);
    await narrow.getByTestId('missed-list').waitFor({ timeout: 30_000 });
    await narrow.getByTestId('crm-tapi-popup').waitFor({ state: 'detached', timeout: 30_000 });
    await narrow.getByTestId('panel-number').fill('+49 341 1234567');
    await narrow.screenshot({ path: out[2] });
    await narrow.context().close();
    return out;
  } finally {
    await browser.close();
    await stack.stop();
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] ?? join(packageRoot(), 'docs', 'img'));
  takeScreenshots(dir).then((files) => {
    for (const f of files) console.log(`wrote ${f}`);
  }, (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exitCode = 1;
  });
}
