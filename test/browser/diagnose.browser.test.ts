// The solution's diagnose page (diagnose.html, opened by the command bar's
// "Diagnose TAPI Manager" and "Aktualisieren Telefonnummern") in real Chromium
// against the whole stack: the fake Xrm is backed by the simulated Dataverse,
// the page proves the signed-in user to the manager on the diagnose channel
// with a session record, and the manager answers admins only: System
// Administrator or TapiInterface Admin (also without any other role), never a
// user with only TapiInterface User.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { DEMO_USERS } from '../../src/cli/commands/demo-stack.ts';
import { ROLE_IDS } from '../../src/dataverse/solution/model.ts';
import { HAVE_CHROMIUM } from './support/chromium.ts';
import { startWorld, until, type BrowserWorld } from './support/stack.ts';

describe.skipIf(!HAVE_CHROMIUM)('diagnose page in Chromium', () => {
  let w: BrowserWorld;

  beforeAll(async () => {
    w = await startWorld();
  }, 120_000);

  afterAll(async () => {
    await w?.close();
  }, 30_000);

  const message = (page: Page) => page.getByTestId('diag-message');
  const settled = (page: Page) => page.locator('[data-testid=diag-message]:not([data-state=busy])').waitFor({ timeout: 30_000 });

  it('shows an admin the report: connectors with their lines, lines in the CRM, sockets (German UI)', async () => {
    const ctx = await w.browser.newContext();
    try {
      const page = await ctx.newPage();
      await page.goto(w.harness.diagnoseUrl('petra', 'diagnose'));
      await page.getByTestId('diag-report').waitFor({ timeout: 30_000 });
      expect(await page.locator('html').getAttribute('lang')).toBe('de');
      expect(await page.getByTestId('diag-version').textContent()).toMatch(/^TAPI-Manager \S+ \(/);
      const connectors = await page.getByTestId('diag-connectors').textContent();
      expect(connectors).toContain('Leitung');
      expect(connectors).toContain(w.stack.line('21'));
      const lines = await page.getByTestId('diag-entity-lines').textContent();
      expect(lines).toContain(w.stack.line('22'));
      // The manager lists the users of a line by systemuserid; the page shows their full names, read as Petra.
      const shared = page.getByTestId('diag-entity-lines').locator('tr', { hasText: w.stack.line('22') }).locator('td').nth(1);
      expect((await shared.textContent())?.split(', ').sort()).toEqual([DEMO_USERS.emily.name, DEMO_USERS.jens.name]);
      expect(lines).not.toContain(DEMO_USERS.emily.id);
      // The connector's socket and the page's own, proven as Petra.
      const sockets = await page.getByTestId('diag-sockets').textContent();
      expect(sockets).toContain('connector');
      expect(sockets).toMatch(/diagnose.*Petra Hoffmann/);
      expect(await page.getByTestId('diag-outbox').textContent()).toMatch(/Ausgang|warten/);
    } finally {
      await ctx.close();
    }
  }, 60_000);

  it('the refresh button makes the manager rebuild its phone directory (a contact added meanwhile is in it) and shows the answer', async () => {
    const ctx = await w.browser.newContext();
    try {
      const page = await ctx.newPage();
      await page.goto(w.harness.diagnoseUrl('petra', 'diagnose'));
      await page.getByTestId('diag-report').waitFor({ timeout: 30_000 });
      const directory = w.stack.manager().directory;
      const before = directory.status();
      // A new contact, created through the Web API as the admin.
      const res = await fetch(`${w.harness.origin}/api/data/v9.2/contacts`, {
        method: 'POST', headers: { 'X-Harness-User': 'petra', 'Content-Type': 'application/json' },
        body: JSON.stringify({ firstname: 'Dora', lastname: 'Diagnose', telephone1: '+49 341 555 0199' }),
      });
      expect(res.status).toBeLessThan(300);
      const clicked = Date.now();
      await page.getByTestId('diag-refresh').click();
      await settled(page);
      expect(await message(page).getAttribute('data-state')).toBe('ok');
      const text = (await message(page).textContent()) ?? '';
      expect(text).toMatch(/^Telefonnummern aktualisiert: \d+ Nummer\(n\) im Verzeichnis\.$/);
      const after = directory.status();
      expect(after.records).toBe(before.records + 1);
      expect(text).toContain(`${after.keys} Nummer`);
      const last = Math.max(...Object.values(after.last).map((r) => r?.finishedAt ?? 0));
      expect(last).toBeGreaterThanOrEqual(clicked);
    } finally {
      await ctx.close();
    }
  }, 60_000);

  it('"Aktualisieren Telefonnummern" from the command bar (data=refresh) refreshes at once', async () => {
    const ctx = await w.browser.newContext();
    try {
      const page = await ctx.newPage();
      const opened = Date.now();
      await page.goto(w.harness.diagnoseUrl('petra', 'refresh'));
      await until(async () => (/^Telefonnummern aktualisiert: \d+/.test((await message(page).textContent()) ?? '') ? true : undefined), 30_000);
      const last = Math.max(...Object.values(w.stack.manager().directory.status().last).map((r) => r?.finishedAt ?? 0));
      expect(last).toBeGreaterThanOrEqual(opened);
    } finally {
      await ctx.close();
    }
  }, 60_000);

  it('a user with only the TapiInterface Admin role (not System Administrator) sees the report and refreshes', async () => {
    // Jens holds TapiInterface Admin, TapiInterface User and the customer's Salesperson role; the
    // org's admin takes every role but TapiInterface Admin away through the Web API, so what lets
    // him in is the Admin role alone.
    const asPetra = (method: string, path: string, body?: unknown): Promise<Response> => fetch(`${w.harness.origin}/api/data/v9.2/${path}`, {
      method, headers: { 'X-Harness-User': 'petra', ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const jens = DEMO_USERS.jens.id;
    const rolesOfJens = (): string[] => [...w.stack.dv.store.all('systemuserroles')].filter((r) => r['systemuserid'] === jens).map((r) => String(r['roleid'])).sort();
    const others = rolesOfJens().filter((id) => id !== ROLE_IDS.admin);
    expect(rolesOfJens()).toContain(ROLE_IDS.admin);
    expect(others).toContain(ROLE_IDS.user);
    for (const role of others) expect((await asPetra('DELETE', `systemusers(${jens})/systemuserroles_association(${role})/$ref`)).status).toBe(204);
    const ctx = await w.browser.newContext();
    try {
      expect(rolesOfJens()).toEqual([ROLE_IDS.admin]);
      const page = await ctx.newPage();
      await page.goto(w.harness.diagnoseUrl('jens', 'diagnose'));
      await page.getByTestId('diag-report').waitFor({ timeout: 30_000 });
      expect(await page.getByTestId('diag-connectors').textContent()).toContain(w.stack.line('21'));
      expect(await page.getByTestId('diag-entity-lines').textContent()).toContain(w.stack.line('22'));
      // The users of a line, read by their ids as Jens (prvReadUser of the Admin role).
      const shared = page.getByTestId('diag-entity-lines').locator('tr', { hasText: w.stack.line('22') }).locator('td').nth(1);
      expect((await shared.textContent())?.split(', ').sort()).toEqual([DEMO_USERS.emily.name, DEMO_USERS.jens.name]);
      expect(await page.getByTestId('diag-sockets').textContent()).toMatch(/diagnose.*Jens Wagner/);

      const directory = w.stack.manager().directory;
      const clicked = Date.now();
      await page.getByTestId('diag-refresh').click();
      await settled(page);
      expect(await message(page).getAttribute('data-state')).toBe('ok');
      expect(await message(page).textContent()).toMatch(/^Telefonnummern aktualisiert: \d+ Nummer\(n\) im Verzeichnis\.$/);
      const last = Math.max(...Object.values(directory.status().last).map((r) => r?.finishedAt ?? 0));
      expect(last).toBeGreaterThanOrEqual(clicked);
    } finally {
      await ctx.close();
      for (const role of others) {
        const back = await asPetra('POST', `systemusers(${jens})/systemuserroles_association/$ref`, { '@odata.id': `${w.stack.dv.webApiUrl}roles(${role})` });
        expect(back.status).toBe(204);
      }
    }
  }, 60_000);

  it('an agent is refused by the manager, shown as a sentence, and nothing is refreshed (English UI)', async () => {
    const ctx = await w.browser.newContext();
    try {
      const page = await ctx.newPage();
      const directory = w.stack.manager().directory;
      const before = Math.max(...Object.values(directory.status().last).map((r) => r?.finishedAt ?? 0));
      await page.goto(w.harness.diagnoseUrl('emily', 'refresh'));
      await settled(page);
      await until(async () => ((await message(page).getAttribute('data-state')) === 'refused' && !(await page.getByTestId('diag-refresh').isDisabled()) ? true : undefined), 30_000);
      expect(await message(page).textContent()).toBe('The TAPI manager refused: this page is only for TapiInterface Admin and System Administrator.');
      expect(await page.getByTestId('diag-report').count()).toBe(0);
      await page.getByTestId('diag-refresh').click();
      await settled(page);
      expect(await message(page).textContent()).toContain('only for TapiInterface Admin');
      const after = Math.max(...Object.values(directory.status().last).map((r) => r?.finishedAt ?? 0));
      expect(after).toBe(before);
    } finally {
      await ctx.close();
    }
  }, 60_000);

  it('shows the outbox: the oldest waiting write and every dead letter with its reason (the protocol vector, from a stand-in manager)', async () => {
    // The live stack has no dead letter to show; the page's WebSocket is answered with spec/vectors/diagnose-diagnoseReport-outbox.json.
    const vector = JSON.parse(readFileSync(new URL('../../spec/vectors/diagnose-diagnoseReport-outbox.json', import.meta.url), 'utf8')) as { input: { xml: string } };
    const ctx = await w.browser.newContext();
    try {
      const page = await ctx.newPage();
      const proofs: string[] = [];
      await page.routeWebSocket(/^ws/, (ws) => {
        ws.onMessage((text) => {
          const m = String(text);
          if (m.includes('<command>diagnose</command>')) {
            ws.send(`<?xml version="1.0" encoding="utf-8"?><tapiaction name="diagnose"><command>challenge</command><nonce>Zk3xT0aP9vQ2</nonce><expiresAt>${new Date(Date.now() + 60_000).toISOString()}</expiresAt></tapiaction>`);
          } else if (m.includes('<command>prove</command>')) {
            proofs.push(m);
            ws.send(vector.input.xml);
          }
        });
      });
      await page.goto(w.harness.diagnoseUrl('petra', 'diagnose'));
      await page.getByTestId('diag-report').waitFor({ timeout: 30_000 });
      expect(proofs).toHaveLength(1);
      expect(proofs[0]).toMatch(/<sessionRecordId>[0-9a-f-]{36}<\/sessionRecordId>/);
      expect(await page.getByTestId('diag-version').textContent()).toBe('TAPI-Manager 0.2.0 (open edition)');
      expect(await page.getByTestId('diag-connectors').textContent()).toBe('keine');
      const outbox = await page.getByTestId('diag-outbox').textContent();
      expect(outbox).toBe('Schreibvorgänge, die auf das CRM warten: 1; Unzustellbare Schreibvorgänge: 1');
      expect(await page.getByText(/^Ältester wartender: callLog 5f0c9a2e-1b7d-4c3e-9a8f-2d6e4b1c0a93/).textContent()).toContain('throttled: HTTP 429');
      const row = page.getByTestId('diag-dead-letters').locator('tbody tr');
      expect(await row.count()).toBe(1);
      expect(await row.locator('td').allTextContents()).toEqual([
        '0d3b6f4a-8c2e-4f1a-b9d7-6e5c4a3b2f10', 'phoneCall', 'phonecalls', '2024-05-02T08:12:56.000Z', '1', 'bad-request (HTTP 400): HTTP 400: the regarding record does not exist',
      ]);
    } finally {
      await ctx.close();
    }
  }, 60_000);

  it('a manager that closes without answering is one sentence on the page', async () => {
    const ctx = await w.browser.newContext();
    try {
      const page = await ctx.newPage();
      await page.routeWebSocket(/^ws/, (ws) => ws.close({ code: 1011, reason: 'going away' }));
      await page.goto(w.harness.diagnoseUrl('emily', 'diagnose'));
      await until(async () => ((await message(page).getAttribute('data-state')) === 'refused' ? true : undefined), 30_000);
      expect(await message(page).textContent()).toMatch(/^No answer from the TAPI manager: the manager closed the connection before answering \(1011/);
    } finally {
      await ctx.close();
    }
  }, 60_000);
});
