// The identity proof of spec §7.6 from the suite's side: a client must create
// a session record holding the manager's nonce in Dataverse *as a CRM user*.
// Two ways to do that: sign a user in (OAuth 2.0 resource-owner password
// grant, as a test tenant or the simulated Dataverse allows) and create the
// record through the Web API; or a hook command that prints the record's id.
// Without either, the cases that need a proven client are skipped, with why.
import { createSchema } from '../dataverse/schema.ts';
import { CaseFailure } from './case.ts';
import { runHook, type Hook } from './hooks.ts';

export interface Prover {
  /** Who proves (for reports), never a secret. */
  readonly who: string;
  /** Creates the session record for `nonce`; its id. */
  sessionRecord(nonce: string, clientInstanceId: string): Promise<string>;
}

export interface DataverseProverOptions {
  /** Web API base, e.g. https://contoso.crm4.dynamics.com/api/data/v9.2/ */
  webApiUrl: string;
  tokenUrl: string;
  clientId: string;
  username: string;
  password: string;
  /** OAuth scope (default: `<organisation URL>/.default`). */
  scope?: string;
  /** Publisher prefix of the solution (the manager's CrmPublisherPrefix). */
  publisherPrefix?: string;
  timeoutMs?: number;
}

const GUID_AT_END = /\(([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\)$/i;

export class DataverseProver implements Prover {
  private token: { value: string; until: number } | undefined;
  readonly who: string;

  constructor(private readonly o: DataverseProverOptions) {
    this.who = `${o.username} via ${new URL(o.webApiUrl).origin}`;
  }

  private async bearer(): Promise<string> {
    if (this.token !== undefined && this.token.until > Date.now()) return this.token.value;
    const org = new URL(this.o.webApiUrl).origin;
    const res = await fetch(this.o.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'password', client_id: this.o.clientId, username: this.o.username, password: this.o.password, scope: this.o.scope ?? `${org}/.default` }).toString(),
      signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
    }).catch((err: unknown) => {
      throw new CaseFailure(`sign-in of ${this.o.username} at ${this.o.tokenUrl} failed: ${(err as Error).message}`);
    });
    const body = (await res.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown; error?: unknown };
    if (!res.ok || typeof body.access_token !== 'string') {
      // The password never appears in the reason; the server's error code does.
      throw new CaseFailure(`sign-in of ${this.o.username} was refused: HTTP ${res.status} ${typeof body.error === 'string' ? body.error : ''}`.trim());
    }
    const seconds = typeof body.expires_in === 'number' ? body.expires_in : 300;
    this.token = { value: body.access_token, until: Date.now() + Math.max(30, seconds - 60) * 1000 };
    return body.access_token;
  }

  async sessionRecord(nonce: string, clientInstanceId: string): Promise<string> {
    const entity = createSchema(this.o.publisherPrefix).clientSession;
    const f = entity.fields;
    const url = new URL(entity.entitySet, this.o.webApiUrl.endsWith('/') ? this.o.webApiUrl : `${this.o.webApiUrl}/`);
    const res = await fetch(url, {
      method: 'POST',
      headers: { Authorization: `Bearer ${await this.bearer()}`, 'Content-Type': 'application/json', Accept: 'application/json', 'OData-Version': '4.0', 'OData-MaxVersion': '4.0' },
      body: JSON.stringify({ [f.name]: `conformance ${clientInstanceId}`.slice(0, 200), [f.nonce]: nonce, [f.clientInstance]: clientInstanceId }),
      signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
    }).catch((err: unknown) => {
      throw new CaseFailure(`creating the session record in ${url.origin} failed: ${(err as Error).message}`);
    });
    await res.arrayBuffer().catch(() => undefined);
    const id = GUID_AT_END.exec(res.headers.get('OData-EntityId') ?? '')?.[1];
    if (!res.ok || id === undefined) throw new CaseFailure(`Dataverse did not create the session record: HTTP ${res.status}`);
    return id.toLowerCase();
  }
}

/** A command that creates the record by its own means: gets CONFORMANCE_NONCE and CONFORMANCE_CLIENT_INSTANCE, prints the record id. */
export class HookProver implements Prover {
  readonly who = 'the --prove-hook command';

  constructor(private readonly hook: Hook, private readonly timeoutMs = 20_000) {}

  async sessionRecord(nonce: string, clientInstanceId: string): Promise<string> {
    const { stdout } = await runHook('prove', this.hook, { CONFORMANCE_NONCE: nonce, CONFORMANCE_CLIENT_INSTANCE: clientInstanceId }, this.timeoutMs);
    const id = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i.exec(stdout)?.[0];
    if (id === undefined) throw new CaseFailure('the prove hook printed no session record id (a GUID)');
    return id.toLowerCase();
  }
}
