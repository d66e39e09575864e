// `crm-tapi solution customize-forms --tables account,contact,lead`: puts the
// crm-tapi web resource on the main forms of the chosen tables through the
// Web API and publishes them — what the vendor's "Anpassungen" plug-in does
// (manual 4.2). It adds a tab with the HTML web resource, the OnLoad library
// and its handler; a form that already has them is left alone.
import { CrmTapiError } from '../../protocol/errors.ts';
import type { DataverseClient } from '../web-api/client.ts';
import { odataString } from '../web-api/odata.ts';
import { stableGuid, webResources } from './model.ts';
import { CONTROL_CLASS } from './ui.ts';

export class CustomizeFormsError extends CrmTapiError {
  readonly code = 'customize-forms-failed';
}

export const FORM_CONTROL_ID = 'WebResource_crmtapi';
/** systemform.type of a main form. */
const MAIN_FORM = 2;

export interface FormChange { readonly table: string; readonly form: string; readonly changed: boolean }

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

/** The form XML with the crm-tapi tab, library and OnLoad handler added (unchanged when present). */
export function addClientToForm(formXml: string, prefix: string, table: string): string {
  if (formXml.includes(FORM_CONTROL_ID)) return formXml;
  if (!/<\/tabs>/.test(formXml) || !/<\/form>/.test(formXml)) throw new CustomizeFormsError(`the main form of ${table} has no <tabs>: not a form this command can change`);
  const [html, , onload] = webResources(prefix);
  const g = (n: string): string => `{${stableGuid(`customize-forms:${table}:${n}`)}}`;
  const tab = `<tab name="crmtapi" id="${g('tab')}" IsUserDefined="1" verticallayout="true" expanded="true"><labels><label description="Telephony" languagecode="1033" /><label description="Telefonie" languagecode="1031" /></labels>`
    + `<columns><column width="100%"><sections><section name="crmtapi_section" id="${g('section')}" showlabel="false" showbar="false" IsUserDefined="1"><labels><label description="crm-tapi" languagecode="1033" /></labels>`
    + `<rows><row><cell id="${g('cell')}" showlabel="false" rowspan="4" colspan="1"><labels><label description="crm-tapi" languagecode="1033" /></labels>`
    + `<control id="${FORM_CONTROL_ID}" classid="${CONTROL_CLASS.webresource}"><parameters><Url>${esc(html?.name ?? '')}</Url><PassParameters>false</PassParameters>`
    + '<Security>false</Security><Scrolling>auto</Scrolling><Border>false</Border><ShowOnMobileClient>false</ShowOnMobileClient></parameters></control></cell></row></rows></section></sections></column></columns></tab>';
  const library = `<Library name="${esc(onload?.name ?? '')}" libraryUniqueId="${g('library')}" />`;
  const handler = `<Handler functionName="CrmTapiForm.onLoad" libraryName="${esc(onload?.name ?? '')}" handlerUniqueId="${g('handler')}" enabled="true" parameters="" passExecutionContext="true" />`;
  let out = formXml.replace(/<\/tabs>/, `${tab}</tabs>`);
  out = /<formLibraries>/.test(out) ? out.replace(/<\/formLibraries>/, `${library}</formLibraries>`) : out.replace(/<\/form>\s*$/, `<formLibraries>${library}</formLibraries></form>`);
  if (/<event\s+name="onload"[^>]*>[\s\S]*?<Handlers>/.test(out)) {
    out = out.replace(/(<event\s+name="onload"[^>]*>[\s\S]*?<Handlers>)/, `$1${handler}`);
  } else if (/<events>/.test(out)) {
    out = out.replace(/<\/events>/, `<event name="onload" application="false" active="false"><Handlers>${handler}</Handlers></event></events>`);
  } else {
    out = out.replace(/<\/form>\s*$/, `<events><event name="onload" application="false" active="false"><Handlers>${handler}</Handlers></event></events></form>`);
  }
  return out;
}

export async function customizeForms(client: DataverseClient, tables: readonly string[], options: { prefix: string; publish?: boolean }): Promise<FormChange[]> {
  const changes: FormChange[] = [];
  for (const table of tables) {
    const forms = await client.list<Record<string, unknown>>('systemforms', {
      select: ['formid', 'name', 'formxml'], filter: `objecttypecode eq ${odataString(table)} and type eq ${MAIN_FORM}`,
    });
    if (forms.length === 0) throw new CustomizeFormsError(`${table} has no main form (is "${table}" a table's logical name?)`);
    for (const f of forms) {
      const before = String(f.formxml ?? '');
      const after = addClientToForm(before, options.prefix, table);
      if (after !== before) await client.update('systemforms', String(f.formid), { formxml: after });
      changes.push({ table, form: String(f.name ?? f.formid), changed: after !== before });
    }
  }
  if ((options.publish ?? true) && changes.some((c) => c.changed)) {
    const entities = [...new Set(changes.filter((c) => c.changed).map((c) => c.table))].map((t) => `<entity>${esc(t)}</entity>`).join('');
    await client.invoke('PublishXml', { ParameterXml: `<importexportxml><entities>${entities}</entities></importexportxml>` });
  }
  return changes;
}
