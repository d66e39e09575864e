// The CRM outside Dynamics (the stand-alone panel): the Dataverse Web API over
// fetch with the token of the browser sign-in. Records open in Dynamics in a
// new tab.
import { ClientError } from '../errors.ts';
import { bareGuid, primaryKeyOf, type CrmHost, type CrmUser } from './host.ts';

/** Entity sets whose names are not the logical name plus "s". */
const IRREGULAR_SETS: Readonly<Record<string, string>> = { usersettings: 'usersettingscollection' };

export function entitySetOf(logicalName: string): string {
  return IRREGULAR_SETS[logicalName] ?? `${logicalName}s`;
}

export interface WebApiHostOptions {
  /** Organisation URL, e.g. https://contoso.crm4.dynamics.com (no trailing slash needed). */
  orgUrl: string;
  token: () => Promise<string>;
  open: (url: string) => void;
}

export class WebApiHost implements CrmHost {
  private readonly base: string;
  private readonly org: string;

  constructor(private readonly o: WebApiHostOptions) {
    this.org = o.orgUrl.replace(/\/+$/, '');
    this.base = `${this.org}/api/data/v9.2/`;
  }

  private async call(method: string, path: string, body?: unknown, extra: Record<string, string> = {}): Promise<Record<string, unknown>> {
    const headers: Record<string, string> = {
      Authorization: `Bearer ${await this.o.token()}`, Accept: 'application/json', 'OData-Version': '4.0', 'OData-MaxVersion': '4.0', ...extra,
    };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers.Prefer = 'return=representation';
    }
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch (err) {
      throw new ClientError('crm-request-failed', `the CRM at ${this.org} could not be reached`, { cause: err });
    }
    const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok) {
      const e = json.error as { message?: unknown } | undefined;
      throw new ClientError('crm-request-failed', `${method} ${path.split('?')[0]}: ${res.status} ${typeof e?.message === 'string' ? e.message : ''}`.trim(), { status: res.status });
    }
    return json;
  }

  async currentUser(): Promise<CrmUser> {
    const who = await this.call('GET', 'WhoAmI()');
    if (typeof who.UserId !== 'string') throw new ClientError('crm-request-failed', 'WhoAmI returned no UserId');
    const id = bareGuid(who.UserId);
    const user = await this.call('GET', `systemusers(${id})?$select=fullname`);
    let uiLanguageId: number | undefined;
    try {
      const s = await this.call('GET', `usersettingscollection(${id})?$select=uilanguageid`);
      if (typeof s.uilanguageid === 'number') uiLanguageId = s.uilanguageid;
    } catch {
      // Without usersettings the UI stays English.
    }
    return { id, name: typeof user.fullname === 'string' ? user.fullname : id, ...(uiLanguageId === undefined ? {} : { uiLanguageId }) };
  }

  async retrieveMultiple(entity: string, options: string): Promise<Record<string, unknown>[]> {
    const json = await this.call('GET', `${entitySetOf(entity)}${options}`);
    return Array.isArray(json.value) ? (json.value as Record<string, unknown>[]) : [];
  }

  async createRecord(entity: string, data: Record<string, unknown>): Promise<string> {
    const json = await this.call('POST', entitySetOf(entity), data);
    const id = json[primaryKeyOf(entity)];
    if (typeof id !== 'string') throw new ClientError('crm-request-failed', `creating ${entity} returned no id`);
    return bareGuid(id);
  }

  async createRecordWithId(entity: string, id: string, data: Record<string, unknown>): Promise<'created' | 'exists'> {
    // A create-only upsert: `If-None-Match: *` answers 412 when the id is taken.
    try {
      await this.call('PATCH', `${entitySetOf(entity)}(${bareGuid(id)})`, data, { 'If-None-Match': '*' });
      return 'created';
    } catch (err) {
      if (err instanceof ClientError && err.status === 412) return 'exists';
      throw err;
    }
  }

  recordUrl(entity: string, id: string): string {
    return `${this.org}/main.aspx?etn=${encodeURIComponent(entity)}&id=${encodeURIComponent(id)}&pagetype=entityrecord`;
  }

  openRecord(entity: string, id: string): void {
    this.o.open(this.recordUrl(entity, id));
  }

  openNewForm(entity: string, parameters: Record<string, string>): void {
    const extra = new URLSearchParams(parameters).toString();
    this.o.open(`${this.org}/main.aspx?etn=${encodeURIComponent(entity)}&pagetype=entityrecord&extraqs=${encodeURIComponent(extra)}`);
  }
}
