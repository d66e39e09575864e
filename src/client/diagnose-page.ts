// The diagnose page's behaviour: read the manager's URL from the line records
// as every form does, ask for the report (or a phone-number refresh) over the
// diagnose channel proven as the signed-in user, and show the answer; the
// refresh button asks again and shows the manager's answer as a sentence.
import { adminRequest, type AdminAction, type AdminAnswer } from './admin.ts';
import type { SocketLike } from './connection.ts';
import type { CrmHost } from './crm/host.ts';
import { readManagerUrl } from './crm/manager-url.ts';
import { ClientError } from './errors.ts';
import { languageOf } from './i18n.ts';
import { clientSchemaNames } from './schema-names.ts';
import { DIAGNOSE_CSS, diagnoseStrings, refreshSentence, renderReport } from './ui/diagnose-view.ts';
import { h } from './ui/dom.ts';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface DiagnosePageOptions {
  doc: Document;
  crm: CrmHost;
  target: HTMLElement;
  /** What the command bar asked for: the report, or a refresh first. */
  action: AdminAction;
  createSocket?: (url: string) => SocketLike;
  timeoutMs?: number;
}

export interface DiagnosePage {
  /** Settles when the current request has been answered and shown. */
  idle(): Promise<void>;
}

export async function startDiagnosePage(o: DiagnosePageOptions): Promise<DiagnosePage> {
  const { doc, crm } = o;
  const user = await crm.currentUser();
  const language = languageOf(user.uiLanguageId);
  const s = diagnoseStrings(language);
  doc.documentElement.lang = language;
  doc.title = s.title;
  const names = clientSchemaNames();
  const cs = names.clientSession;
  const instance = `diagnose-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
  const message = h(doc, 'p', { 'data-testid': 'diag-message', role: 'status' });
  const report = h(doc, 'div', {});
  let busy: Promise<void> = Promise.resolve();
  const button = h(doc, 'button', { type: 'button', 'data-testid': 'diag-refresh', onclick: () => void run('refresh') }, s.refresh);
  o.target.replaceChildren(h(doc, 'style', {}, DIAGNOSE_CSS), h(doc, 'div', { class: 'ctapi-diag' }, h(doc, 'h1', {}, s.title), button, message, report));

  const ask = async (action: AdminAction): Promise<AdminAnswer> => adminRequest({
    url: await readManagerUrl(crm, user.id, names),
    action,
    createSocket: o.createSocket ?? ((u) => new WebSocket(u)),
    createSession: (nonce, id) => crm.createRecord(cs.logicalName, { [cs.name]: `diagnose ${id}`.slice(0, 200), [cs.nonce]: nonce, [cs.clientInstance]: id }),
    clientInstanceId: instance,
    ...(o.timeoutMs === undefined ? {} : { timeoutMs: o.timeoutMs }),
  });

  /** Full names of the users the report lists by id, read as the signed-in user; ids stay where reading fails. */
  const userNames = async (ids: readonly string[]): Promise<Map<string, string>> => {
    const wanted = [...new Set(ids.map((id) => id.toLowerCase()).filter((id) => GUID.test(id)))];
    const out = new Map<string, string>();
    for (let i = 0; i < wanted.length; i += 50) {
      const filter = wanted.slice(i, i + 50).map((id) => `systemuserid eq ${id}`).join(' or ');
      const rows = await crm.retrieveMultiple('systemuser', `?$select=systemuserid,fullname&$filter=${filter}`).catch(() => []);
      for (const r of rows) if (typeof r.systemuserid === 'string' && typeof r.fullname === 'string') out.set(r.systemuserid.toLowerCase(), r.fullname);
    }
    return out;
  };

  const sentence = (err: unknown): string => {
    if (err instanceof ClientError && err.code === 'not-admin') return s.notAdmin;
    const why = err instanceof Error ? err.message : String(err);
    return err instanceof ClientError && err.code === 'refused' ? s.refused(why) : s.failed(why);
  };

  async function once(action: AdminAction): Promise<void> {
    button.disabled = true;
    message.dataset.state = 'busy';
    message.textContent = action === 'refresh' ? s.refreshing : s.loading;
    try {
      const answer = await ask(action);
      if (answer.command === 'refreshResult') {
        message.textContent = refreshSentence(s, answer);
        message.dataset.state = answer.ok ? 'ok' : 'failed';
      } else {
        report.replaceChildren(renderReport(doc, s, answer, await userNames(answer.entityLines.flatMap((l) => l.users))));
        message.textContent = '';
        message.dataset.state = 'ok';
      }
    } catch (err) {
      message.textContent = sentence(err);
      message.dataset.state = 'refused';
    } finally {
      button.disabled = false;
    }
  }

  function run(action: AdminAction): Promise<void> {
    busy = busy.then(() => once(action));
    return busy;
  }

  // The report first; "Aktualisieren Telefonnummern" from the command bar then asks for the refresh at once.
  void run('diagnose');
  if (o.action === 'refresh') void run('refresh');
  return { idle: () => busy };
}
