// The harness page: a fake Dynamics form (phone fields as inputs) and a fake
// `Xrm` whose WebApi goes to the harness's /api/data/ proxy and whose
// Navigation records what the client opens (window.__opened), then the real
// web resource bundle started with both.

export interface HarnessForm {
  entity: string;
  id: string;
  fields: Record<string, string>;
}

interface HarnessUser {
  id: string;
  name: string;
}

const LANGUAGE: Record<string, number> = { 'Anna Schmidt': 1031, 'Jens Wagner': 1031, 'Petra Hoffmann': 1031 };

function userData(userKey: string, user: HarnessUser, form: HarnessForm | undefined): string {
  return JSON.stringify({ userKey, id: `{${user.id.toUpperCase()}}`, name: user.name, languageId: LANGUAGE[user.name] ?? 1033, form: form ?? null }).replace(/</g, '\\u003c');
}

/** The fake `Xrm` (as `window.Xrm`, where a web resource finds it) for the harness user `H`. */
function fakeXrm(data: string): string {
  return `const H = ${data};
window.__opened = [];
const sets = { usersettings: 'usersettingscollection' };
const set = (e) => sets[e] || e + 's';
async function api(method, path, body) {
  const headers = { 'X-Harness-User': H.userKey, Accept: 'application/json' };
  if (body) { headers['Content-Type'] = 'application/json'; headers.Prefer = 'return=representation'; }
  const r = await fetch('/api/data/v9.2/' + path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const j = await r.json().catch(() => ({}));
  // As Xrm.WebApi rejects: { errorCode, message } with Dataverse's code as a signed integer.
  const code = j.error && /^0x[0-9a-f]{8}$/i.test(j.error.code || '') ? (parseInt(j.error.code, 16) | 0) : r.status;
  if (!r.ok) throw { message: (j.error && j.error.message) || ('HTTP ' + r.status), errorCode: code };
  return j;
}
const Xrm = {
  WebApi: {
    retrieveMultipleRecords: async (e, o) => ({ entities: (await api('GET', set(e) + (o || ''))).value }),
    createRecord: async (e, d) => { const j = await api('POST', set(e), d); return { entityType: e, id: j[e === 'phonecall' ? 'activityid' : e + 'id'] }; },
  },
  Navigation: { openForm: async (o, p) => { window.__opened.push({ ...o, parameters: p || null }); return { savedEntityReference: [] }; } },
  Utility: { getGlobalContext: () => ({ userSettings: { userId: H.id, userName: H.name, languageId: H.languageId }, organizationSettings: { uniqueName: 'contoso' } }) },
};
window.Xrm = Xrm;
`;
}

/** The solution's diagnose page with the fake Xrm before the real bundle (Dynamics serves both from the org). */
export function diagnoseHarnessPage(userKey: string, user: HarnessUser, page: string): string {
  return page.replace('<script src="webresource.js"></script>', `<script>\n${fakeXrm(userData(userKey, user, undefined))}</script>\n<script src="/client/crm-tapi-webresource.js"></script>`);
}

export function harnessPage(userKey: string, user: HarnessUser, form: HarnessForm | undefined): string {
  const data = userData(userKey, user, form);
  return `<!doctype html><html><head><meta charset="utf-8"><title>harness</title></head><body>
<div id="crm-tapi-status"></div><form id="form"></form><section id="crm-tapi-missed"></section>
<script src="/client/crm-tapi-webresource.js"></script>
<script>
${fakeXrm(data)}
let formFields;
if (H.form) {
  const el = document.getElementById('form');
  const fields = {};
  for (const [name, value] of Object.entries(H.form.fields)) {
    const input = document.createElement('input');
    input.id = 'f-' + name; input.value = value;
    const row = document.createElement('div'); row.append(name + ' ', input); el.append(row);
    fields[name] = { name, value: () => input.value, anchor: input };
  }
  formFields = { entity: H.form.entity, recordId: () => H.form.id, field: (n) => fields[n] };
}
window.harnessReady = CrmTapi.start({ xrm: Xrm, form: formFields }).then(() => true, (e) => String(e));
</script></body></html>`;
}
