// Call control from the panel through the whole stack (issue 17 item 1): the
// buttons in real Chromium → manager (entitlement, controls, dialing rules) →
// connector → simulated PBX, and the PBX's new state back into the buttons.
// Every check reads the PBX's own call list, not the client's guess.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { CALL_OUTCOME, createSchema } from '../../src/dataverse/schema.ts';
import type { CallControlResultMessage, WelcomeMessage } from '../../src/protocol/index.ts';
import { HAVE_CHROMIUM } from './support/chromium.ts';
import { control, hangUp, openHarness, pbxCalls, ring, startWorld, until, type BrowserWorld, type PbxCall } from './support/stack.ts';

const CONTACT = { entity: 'contact', id: '00000000-0000-4000-8000-000000000001', fields: { telephone1: '0341 / 123 45 67', mobilephone: '+49 (34361) 826-25' } };

type App = { CrmTapi: { app: { welcome: WelcomeMessage; connection: { callControl(k: string, a: string, t?: string): Promise<CallControlResultMessage> } } } };

describe.skipIf(!HAVE_CHROMIUM)('call control in Chromium through the whole stack', () => {
  let w: BrowserWorld;

  beforeAll(async () => {
    w = await startWorld();
  }, 120_000);

  afterAll(async () => {
    await w?.close();
  }, 30_000);

  const onLine = async (line: string): Promise<PbxCall[]> => (await pbxCalls(w.stack)).filter((c) => c.line === line);
  const lineIsFree = (line: string) => until(async () => ((await onLine(line)).length === 0 ? true : undefined), 15_000);
  const controlsOf = (page: Page, callId: string): Locator => page.locator(`[data-testid=call-controls][data-call="demo-pbx/${callId}"]`);
  /** The call log entry the manager wrote for a call (after it ended), by its call key. */
  const callLogOf = (callId: string) => {
    const log = createSchema().callLog;
    return until(async () => [...w.stack.dv.store.all(log.logicalName)].find((r) => r[log.fields.callKey] === `demo-pbx/${callId}`), 15_000).then((r) => ({
      name: String(r[log.fields.name]),
      duration: r[log.fields.duration] as number | undefined,
      outcome: r[log.fields.outcome] as number | undefined,
      transferredTo: r[log.fields.transferredTo] as string | undefined,
    }));
  };
  const stateOf = async (callId: string): Promise<string | undefined> => (await pbxCalls(w.stack)).find((c) => c.callId === callId)?.state;

  /** An outside caller rings 21, Emily answers in the popup: the answered call's id and its buttons. */
  async function answeredCall(page: Page, from: string): Promise<{ callId: string; ringing: Awaited<ReturnType<typeof ring>>; buttons: Locator }> {
    const ringing = await ring(w.stack, from, '21');
    const callId = ringing.callIds[0] as string;
    const popup = page.locator(`[data-testid=crm-tapi-popup][data-call="demo-pbx/${callId}"]`);
    await popup.waitFor();
    await popup.getByTestId('popup-answer').click();
    await until(async () => ((await stateOf(callId)) === 'connected' ? true : undefined));
    const buttons = controlsOf(page, callId);
    await expect.poll(() => buttons.getByTestId('cc-hold').isVisible()).toBe(true);
    return { callId, ringing, buttons };
  }

  /** Emily's page with an answered call from `from`; cleans up the call and the page whatever `body` does. */
  async function withAnsweredCall(from: string, body: (call: Awaited<ReturnType<typeof answeredCall>>) => Promise<void>): Promise<void> {
    const ctx = await w.browser.newContext();
    const page = await ctx.newPage();
    let call: Awaited<ReturnType<typeof answeredCall>> | undefined;
    try {
      await openHarness(page, w.harness.url('emily'));
      call = await answeredCall(page, from);
      await body(call);
    } finally {
      if (call !== undefined) await hangUp(w.stack, call.ringing);
      await ctx.close();
    }
  }

  it('hang up ends a call dialled from the panel while it is still in ringback', async () => {
    const ctx = await w.browser.newContext();
    const page = await ctx.newPage();
    try {
      await openHarness(page, w.harness.url('emily', CONTACT));
      await page.getByTestId('phone-telephone1').click();
      await page.getByTestId('ctapi-line-menu').locator('button[data-line="demo-pbx:21"]').click();
      const dialled = await until(async () => (await onLine('21')).find((c) => c.state === 'ringback'));
      const buttons = controlsOf(page, dialled.callId);
      await buttons.getByTestId('cc-drop').waitFor();
      expect(await buttons.getByTestId('cc-drop').getAttribute('aria-label')).toContain('Hang up');
      // An outbound call in ringback offers only hanging up: hold and transfer need a connected call.
      expect(await buttons.getByTestId('cc-hold').isVisible()).toBe(false);
      await buttons.getByTestId('cc-drop').click();
      await lineIsFree('21');
      await buttons.waitFor({ state: 'detached' });
    } finally {
      await ctx.close();
    }
  }, 60_000);

  it('hold and resume, then a blind transfer: the caller rings at the target and the agent\'s line is free', async () => {
    await withAnsweredCall('+44 7700 900201', async ({ callId, buttons }) => {
      await buttons.getByTestId('cc-hold').click();
      await until(async () => ((await stateOf(callId)) === 'onhold' ? true : undefined));
      await expect.poll(() => buttons.getByTestId('cc-unhold').isVisible()).toBe(true);
      await buttons.getByTestId('cc-unhold').click();
      await until(async () => ((await stateOf(callId)) === 'connected' ? true : undefined));
      await expect.poll(() => buttons.getByTestId('cc-hold').isVisible()).toBe(true);
      await buttons.getByTestId('cc-target').fill('24');
      await buttons.getByTestId('cc-transfer').click();
      const atTarget = await until(async () => (await onLine('24')).find((c) => c.state === 'offering'));
      expect((atTarget as PbxCall & { redirecting?: { number?: string } }).redirecting?.number).toBe('21');
      await lineIsFree('21');
      await buttons.waitFor({ state: 'detached' });
      // The record says where the call went; its duration is the agent's part only.
      const entry = await callLogOf(callId);
      expect(entry.name).toContain('transferred to 24');
      expect(entry).toMatchObject({ outcome: CALL_OUTCOME.transferred, transferredTo: '24' });
      expect(typeof entry.duration).toBe('number');
    });
    await lineIsFree('24');
  }, 60_000);

  it('consultation: consult 24, complete the transfer once 24 answers; the caller and 24 stay connected without the agent', async () => {
    await withAnsweredCall('+44 7700 900202', async ({ callId, buttons }) => {
      await buttons.getByTestId('cc-target').fill('24');
      await buttons.getByTestId('cc-consult').click();
      const colleague = await until(async () => (await onLine('24')).find((c) => c.state === 'offering'));
      expect(await stateOf(callId)).toBe('onhold');
      // Complete waits for the consulted party: disabled while 24 rings.
      await expect.poll(() => buttons.getByTestId('cc-completeTransfer').isVisible()).toBe(true);
      expect(await buttons.getByTestId('cc-completeTransfer').isDisabled()).toBe(true);
      await control(w.stack, 'POST', `/calls/${colleague.callId}/answer`);
      await expect.poll(() => buttons.getByTestId('cc-completeTransfer').isEnabled()).toBe(true);
      await buttons.getByTestId('cc-completeTransfer').click();
      await lineIsFree('21');
      expect(await stateOf(colleague.callId)).toBe('connected');
      await buttons.waitFor({ state: 'detached' });
      const entry = await callLogOf(callId);
      expect(entry.name).toContain('transferred to 24');
      expect(entry).toMatchObject({ outcome: CALL_OUTCOME.transferred, transferredTo: '24' });
    });
    await lineIsFree('24');
  }, 60_000);

  it('consultation: cancel takes the caller back; a second consultation becomes a three-party conference that hang up ends', async () => {
    await withAnsweredCall('+44 7700 900203', async ({ callId, buttons }) => {
      await buttons.getByTestId('cc-target').fill('24');
      await buttons.getByTestId('cc-consult').click();
      await until(async () => (await onLine('24')).find((c) => c.state === 'offering'));
      await buttons.getByTestId('cc-cancelConsult').click();
      await until(async () => ((await stateOf(callId)) === 'connected' && (await onLine('24')).length === 0 ? true : undefined));
      await expect.poll(() => buttons.getByTestId('cc-consult').isVisible()).toBe(true);

      await buttons.getByTestId('cc-target').fill('25');
      await buttons.getByTestId('cc-consult').click();
      const colleague = await until(async () => (await onLine('25')).find((c) => c.state === 'offering'));
      await control(w.stack, 'POST', `/calls/${colleague.callId}/answer`);
      await expect.poll(() => buttons.getByTestId('cc-conference').isEnabled()).toBe(true);
      await buttons.getByTestId('cc-conference').click();
      await until(async () => {
        const mine = await onLine('21');
        return mine.length === 1 && mine[0]?.callId === callId && mine[0].state === 'connected' ? true : undefined;
      });
      expect(await stateOf(colleague.callId)).toBe('connected');
      await expect.poll(() => buttons.getByTestId('cc-drop').isVisible()).toBe(true);
      await buttons.getByTestId('cc-drop').click();
      await lineIsFree('21');
      await lineIsFree('25');
    });
  }, 60_000);

  it('a line whose phone system offers no call control shows only hang up, and the manager refuses a forced hold', async () => {
    // The PBX operator re-provisions 23 without hold, transfer, consultation or conference.
    await lineIsFree('23');
    await control(w.stack, 'DELETE', '/lines/23');
    await control(w.stack, 'POST', '/lines', { extension: '23', controls: [] });
    const ctx = await w.browser.newContext();
    const page = await ctx.newPage();
    let ringing: Awaited<ReturnType<typeof ring>> | undefined;
    try {
      await openHarness(page, w.harness.url('anna'));
      const controlsOf23 = () => page.evaluate(() => (window as unknown as App).CrmTapi.app.welcome.lines.find((l) => l.line === 'demo-pbx:23')?.controls);
      await expect.poll(controlsOf23, { timeout: 15_000 }).toEqual([]);
      ringing = await ring(w.stack, '+44 7700 900204', '23');
      const callId = ringing.callIds[0] as string;
      const popup = page.locator(`[data-testid=crm-tapi-popup][data-call="demo-pbx/${callId}"]`);
      await popup.waitFor();
      await popup.getByTestId('popup-answer').click();
      await until(async () => ((await stateOf(callId)) === 'connected' ? true : undefined));
      const buttons = controlsOf(page, callId);
      await expect.poll(() => buttons.getByTestId('cc-drop').isVisible()).toBe(true);
      for (const hidden of ['cc-hold', 'cc-transfer', 'cc-consult', 'cc-conference', 'cc-target']) expect(await buttons.getByTestId(hidden).isVisible(), hidden).toBe(false);
      const refused = await page.evaluate((key) => (window as unknown as App).CrmTapi.app.connection.callControl(key, 'hold'), `demo-pbx/${callId}`);
      expect(refused.ok).toBe(false);
      expect(refused.error?.code).toBe('control-not-supported');
      expect(await stateOf(callId)).toBe('connected');
      await buttons.getByTestId('cc-drop').click();
      await lineIsFree('23');
    } finally {
      if (ringing !== undefined) await hangUp(w.stack, ringing);
      await ctx.close();
      await lineIsFree('23');
      await control(w.stack, 'DELETE', '/lines/23').catch(() => undefined);
      await control(w.stack, 'POST', '/lines', { extension: '23' });
    }
  }, 60_000);
});
