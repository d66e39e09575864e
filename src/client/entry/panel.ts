// Entry of the stand-alone softphone panel (served by the manager at /panel/;
// also usable as a Channel Integration Framework panel). Without Xrm it signs
// the user in to Dataverse (authorization code + PKCE), then runs the same
// client over the Web API.
import { ClientApp } from '../app.ts';
import { findCif, registerCif } from '../cif.ts';
import { BrowserSignIn } from '../crm/oauth.ts';
import { WebApiHost } from '../crm/webapi.ts';
import { ClientError } from '../errors.ts';
import { stringsFor } from '../i18n.ts';
import { h } from '../ui/dom.ts';
import { parsePanelConfig, PANEL_CONFIG_KEY, rememberPanelConfig } from './panel-config.ts';

function show(text: string, error = false): void {
  const el = document.getElementById('crm-tapi-message');
  if (el === null) return;
  el.textContent = text;
  el.dataset.error = String(error);
}

async function main(): Promise<void> {
  const here = new URL(location.href);
  const config = parsePanelConfig(here.searchParams, localStorage.getItem(PANEL_CONFIG_KEY));
  localStorage.setItem(PANEL_CONFIG_KEY, rememberPanelConfig(config));
  const redirectUri = `${location.origin}${location.pathname}`;
  const signIn = new BrowserSignIn({
    authorizeUrl: `${config.authority}/oauth2/v2.0/authorize`,
    tokenUrl: `${config.authority}/oauth2/v2.0/token`,
    clientId: config.clientId,
    scope: `${config.dataverse}/user_impersonation offline_access openid`,
    redirectUri,
  }, sessionStorage, () => Date.now());
  const s = stringsFor(undefined);
  if (await signIn.complete(here)) history.replaceState(null, '', redirectUri);
  if (!signIn.signedIn()) {
    const go = async (): Promise<void> => location.assign(await signIn.authorizeUrl(config.loginHint));
    if (config.loginHint) {
      show(s.signingIn);
      await go();
      return;
    }
    document.getElementById('crm-tapi-message')?.append(' ', h(document, 'button', { 'data-testid': 'sign-in', onclick: () => void go() }, s.signIn));
    return;
  }
  const crm = new WebApiHost({ orgUrl: config.dataverse, token: () => signIn.accessToken(), open: (url) => window.open(url, '_blank', 'noopener') });
  const managerUrl = config.manager ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
  const app = new ClientApp({
    doc: document, crm, managerUrl: async () => managerUrl,
    statusTarget: document.getElementById('crm-tapi-status') ?? document.body,
    missedTarget: document.getElementById('crm-tapi-missed') ?? document.body,
    linesTarget: document.getElementById('crm-tapi-lines') ?? document.body,
  });
  Object.assign(window, { crmTapiApp: app });
  await app.start();
  const t = app.strings;
  show(`${t.signedInAs} ${app.user?.name ?? ''}`);
  // Loaded as a Channel Integration Framework 2.0 panel: phone fields of every form dial here.
  const cif = findCif(window);
  if (cif !== undefined) await registerCif(cif, { dial: (number, regarding) => app.dial(number, regarding), log: app.log });
  const input = document.getElementById('crm-tapi-number') as HTMLInputElement | null;
  const dial = document.getElementById('crm-tapi-dial') as HTMLButtonElement | null;
  const box = document.querySelector('.ctapi-dialbox');
  const error = document.getElementById('crm-tapi-dial-error');
  const label = document.getElementById('crm-tapi-number-label');
  if (input && dial && box && error) {
    dial.textContent = t.dial;
    input.placeholder = t.number;
    if (label) label.textContent = t.numberToDial;
    const invalid = (text: string): void => {
      input.setAttribute('aria-invalid', text === '' ? 'false' : 'true');
      error.textContent = text;
    };
    // The number is checked before any line is offered; the line menu opens below the dial box, as wide as it.
    const go = (): void => {
      const number = input.value.trim();
      if (number === '') return;
      const lines = app.welcome?.lines.length ?? 0;
      if (lines > 0 && !app.dialable(number)) return invalid(`${t.notANumber}: ${number}`);
      invalid('');
      void app.dial(number, undefined, { below: box });
    };
    dial.addEventListener('click', go);
    input.addEventListener('input', () => invalid(''));
    input.addEventListener('keydown', (e) => {
      if (e.key !== 'Enter') return;
      // Without this the key's keypress would reach the line menu's first button, which takes the focus.
      e.preventDefault();
      go();
    });
  }
}

main().catch((err: unknown) => show(err instanceof ClientError ? `${err.code}: ${err.message}` : String(err), true));
