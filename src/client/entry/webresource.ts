// Entry of the Dynamics web resource bundle (dist/client/crm-tapi-webresource.js).
// `CrmTapi.start()` runs the client with the `Xrm` of this window or its
// parent; a form passes its context with `setClientApiContext(Xrm, formContext)`.
import { ClientApp } from '../app.ts';
import { ClientError } from '../errors.ts';
import { formFieldsFromContext, type FormContextLike } from '../crm/form-context.ts';
import { findXrm, XrmHost, type XrmLike } from '../crm/xrm.ts';
import type { FormFields } from '../ui/phone-icons.ts';
import { startDiagnosePage, type DiagnosePage } from '../diagnose-page.ts';

export interface WebResourceOptions {
  xrm?: XrmLike;
  statusTarget?: HTMLElement;
  missedTarget?: HTMLElement;
  /** Phone fields of the form (the test harness passes its own). */
  form?: FormFields;
}

let app: ClientApp | undefined;

async function start(options: WebResourceOptions = {}): Promise<ClientApp> {
  if (app !== undefined) return app;
  const xrm = options.xrm ?? findXrm(window);
  const statusTarget = options.statusTarget ?? document.getElementById('crm-tapi-status') ?? document.body;
  if (xrm === undefined) {
    statusTarget.textContent = 'crm-tapi: Xrm is not available here (open this web resource inside Dynamics 365, or use the softphone panel)';
    throw new ClientError('no-xrm', 'Xrm is not available in this window or its parent');
  }
  const missedTarget = options.missedTarget ?? document.getElementById('crm-tapi-missed') ?? undefined;
  app = new ClientApp({ doc: document, crm: new XrmHost(xrm), statusTarget, ...(missedTarget ? { missedTarget } : {}) });
  await app.start();
  if (options.form) app.attachForm(options.form);
  return app;
}

async function setClientApiContext(xrm: XrmLike, formContext: FormContextLike): Promise<void> {
  const a = await start({ xrm });
  const container = document.getElementById('crm-tapi-fields') ?? document.body;
  a.attachForm(formFieldsFromContext(document, container, formContext));
}

/** The diagnose page (diagnose.html): `action` is the page's `data` parameter from the command bar. */
async function diagnose(options: { action?: string; xrm?: XrmLike; target?: HTMLElement } = {}): Promise<DiagnosePage> {
  const xrm = options.xrm ?? findXrm(window);
  const target = options.target ?? document.getElementById('crm-tapi-diagnose') ?? document.body;
  if (xrm === undefined) {
    target.textContent = 'crm-tapi: Xrm is not available here (open this page from the command bar of the TAPI interfaces in Dynamics 365)';
    throw new ClientError('no-xrm', 'Xrm is not available in this window or its parent');
  }
  return startDiagnosePage({ doc: document, crm: new XrmHost(xrm), target, action: options.action === 'refresh' ? 'refresh' : 'diagnose' });
}

const api = { start, setClientApiContext, diagnose, get app() { return app; } };
Object.assign(window, { CrmTapi: api, setClientApiContext });

if (document.currentScript?.hasAttribute('data-autostart')) {
  const go = (): void => void start().catch(() => undefined);
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', go);
  else go();
}
