// `crm-tapi lab start --with-bridge` as a developer runs it, in real Chromium:
// the printed panel URL signs Emily in; a real SIP call from the lab's
// external caller (Kamailio → the connector's baresip on 25) pops up in the
// panel with the CRM contact; "Answer" in the popup answers it on baresip;
// the caller hangs up and the popup ends; `lab stop` ends every process.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { LabState } from '../../src/cli/commands/lab.ts';
import { LAB_EXTERNAL_CALLER } from '../../src/lab/lab.ts';
import { alive, crmTapi } from '../support/lab-cli.ts';
import { SIP_AVAILABLE, SIP_MISSING, waitFor } from '../support/sip-world.ts';
import { HAVE_CHROMIUM, launchChromium } from './support/chromium.ts';



let dir: string | undefined;
let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe.runIf(SIP_AVAILABLE && HAVE_CHROMIUM)('crm-tapi lab start --with-bridge in Chromium', () => {
  it('a real SIP call pops up in the printed panel with the CRM contact, is answered from the popup and ends there', async () => {
    dir = await mkdtemp(join(tmpdir(), 'crm-tapi-lab-browser-'));
    const statePath = join(dir, 'lab.json');
    const started = await crmTapi(['lab', 'start', '--with-bridge', '--state', statePath]);
    let state: LabState | undefined;
    try {
      expect(started.stderr).toBe('');
      expect(started.code).toBe(0);
      state = JSON.parse(await readFile(statePath, 'utf8')) as LabState;
      const panelUrl = /^ {2}(http:\/\/127\.0\.0\.1:\d+\/panel\/\?\S+)$/m.exec(started.stdout)?.[1];
      expect(panelUrl).toBe(state.bridge?.panelUrl);
      expect(started.stdout).toContain('extension 25 is driven by the connector');

      browser = await launchChromium();
      const page = await (await browser.newContext()).newPage();
      await page.goto(panelUrl as string);
      await page.locator('[data-testid=ctapi-status][data-status=connected]').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('panel-message').textContent()).toBe('Signed in as Emily Carter');

      // The command the lab printed: the trunk's baresip calls 25 through Kamailio.
      expect(started.stdout).toContain(`crm-tapi lab call --from ${LAB_EXTERNAL_CALLER} --to 25`);
      const call = await crmTapi(['lab', 'call', '--from', LAB_EXTERNAL_CALLER, '--to', '25', '--state', statePath]);
      expect(call.stderr).toBe('');
      const popup = page.locator('[data-testid=crm-tapi-popup]');
      await popup.waitFor({ timeout: 30_000 });
      expect(await popup.getByTestId('popup-name').textContent()).toBe('Jan de Vries');
      expect(await popup.getByTestId('popup-line').textContent()).toContain('demo-pbx:25');

      // Answer in the browser: the manager asks the connector, the connector tells baresip to accept.
      await popup.getByTestId('popup-answer').click();
      // The header follows the call (issue 17): "Connected · 0:03" with a running timer.
      await expect.poll(() => popup.getByTestId('popup-title').textContent(), { timeout: 20_000 }).toMatch(/^Connected · \d:\d\d$/);

      const hangup = await crmTapi(['lab', 'hangup', '--on', LAB_EXTERNAL_CALLER, '--state', statePath]);
      expect(hangup.stderr).toBe('');
      await expect.poll(() => popup.getAttribute('data-ended'), { timeout: 20_000 }).toBe('ended');
    } finally {
      const stopped = await crmTapi(['lab', 'stop', '--state', statePath]);
      expect(stopped.code).toBe(0);
    }
    const pids = state === undefined ? [] : [state.pid, state.kamailio?.pid as number, ...(state.phones ?? []).map((p) => p.pid)];
    await waitFor('every lab process to end', () => pids.every((pid) => !alive(pid)), 20_000);
  }, 240_000);
});

if (!SIP_AVAILABLE || !HAVE_CHROMIUM) {
  describe('crm-tapi lab start --with-bridge in Chromium', () => {
    it.skip(SIP_AVAILABLE ? 'Chromium is not installed (apt-get install -y chromium)' : SIP_MISSING, () => undefined);
  });
}
