// A CRM user as a browser sees Dataverse: an OAuth token from the simulated
// Entra authority (resource-owner password grant, TEST-ONLY credentials from
// fixtures/crm/directory.json) and plain Web API calls with fetch. Nothing of
// src/dataverse is used here, so the tests judge the manager's CRM writes
// and reads with an independent client.
import type { SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { SEED_USERS } from '../../support/seed-users.ts';

/** The sample public client that may use the password grant (docs/simulated-dataverse.md). */
const ROPC_CLIENT_ID = '51f81489-12ee-4a9e-aaae-a2591f45987d';

export const USERS = SEED_USERS;
export type UserKey = keyof typeof USERS;

export type Row = Record<string, unknown>;

export class WebApiUser {
  private constructor(
    readonly key: UserKey,
    private readonly base: string,
    private readonly token: string,
  ) {}

  /** Signs `user` in with the password grant, as the browser's sign-in would end up: a bearer token for the CRM. */
  static async signIn(dv: SimulatedDataverse, key: UserKey): Promise<WebApiUser> {
    const user = USERS[key];
    const res = await fetch(dv.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', client_id: ROPC_CLIENT_ID, username: user.upn, password: user.password, scope: `${dv.url}/user_impersonation openid` }),
    });
    const json = (await res.json()) as { access_token?: string; error_description?: string };
    if (!res.ok || json.access_token === undefined) throw new Error(`sign-in of ${user.upn} failed: ${res.status} ${json.error_description ?? ''}`);
    return new WebApiUser(key, dv.orgWebApiUrl, json.access_token);
  }

  async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Row; headers: Headers }> {
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}`, Accept: 'application/json', 'OData-Version': '4.0', 'OData-MaxVersion': '4.0' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(`${this.base}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    const json = (text === '' ? {} : JSON.parse(text)) as Row;
    if (res.status >= 400) {
      const message = (json.error as { message?: string } | undefined)?.message ?? text.slice(0, 200);
      throw new Error(`${USERS[this.key].upn}: ${method} ${path.split('?')[0]} → ${res.status} ${message}`);
    }
    return { status: res.status, json, headers: res.headers };
  }

  async list(set: string, query: string): Promise<Row[]> {
    const { json } = await this.call('GET', `${set}?${query}`);
    return Array.isArray(json.value) ? (json.value as Row[]) : [];
  }

  /** POST; returns the new record's id from `OData-EntityId`. */
  async create(set: string, body: Row): Promise<string> {
    const { headers } = await this.call('POST', set, body);
    const id = /\(([0-9a-f-]{36})\)$/i.exec(headers.get('OData-EntityId') ?? '')?.[1];
    if (id === undefined) throw new Error(`POST ${set} returned no OData-EntityId`);
    return id;
  }

  async update(set: string, id: string, body: Row): Promise<void> {
    await this.call('PATCH', `${set}(${id})`, body);
  }
}
