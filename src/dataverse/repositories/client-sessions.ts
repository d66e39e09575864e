// The identity proof of browser clients (DESIGN.md "Identity of browser
// clients"): the client creates a session record carrying the manager's
// nonce while signed in as itself; the manager reads the record back with
// its own account and trusts only what the server set: `createdby` (who) and
// `createdon` (when). A record that is old, from the future, carries
// another nonce, or was changed by anyone after it was created (modifiedby
// differs from createdby: someone else wrote into the user's proof) proves
// nothing.
import { lookupValue, type Schema } from '../schema.ts';
import type { DataverseApi } from '../web-api/types.ts';
import { date, guid, RecordError, text, type Row } from './fields.ts';

export interface ProvenSession {
  sessionId: string;
  userId: string;
  /** Set when the user created it through impersonation of someone else (never trusted). */
  onBehalfBy?: string;
  createdOn: Date;
  clientInstance?: string;
}

export interface VerifyOptions {
  readonly nonce: string;
  /** Epoch ms, from the manager's clock. */
  readonly now: number;
  /** How old the record may be (default 120 s). */
  readonly maxAgeMs?: number;
  /** Tolerated clock skew between the manager and Dataverse (default 30 s). */
  readonly skewMs?: number;
}

export class ClientSessionRepository {
  private readonly e: Schema['clientSession'];

  constructor(private readonly api: DataverseApi, schema: Schema) {
    this.e = schema.clientSession;
  }

  /** Body the browser client posts (as the signed-in user) to `entitySet`. */
  sessionBody(nonce: string, clientInstance: string): Record<string, string> {
    const f = this.e.fields;
    return { [f.name]: `session ${clientInstance}`.slice(0, 200), [f.nonce]: nonce, [f.clientInstance]: clientInstance };
  }

  get entitySet(): string {
    return this.e.entitySet;
  }

  /** Creates a session record with this client's identity (used by tests and non-browser clients). */
  async create(nonce: string, clientInstance: string): Promise<string> {
    const { id } = await this.api.create(this.e.entitySet, this.sessionBody(nonce, clientInstance));
    return id;
  }

  /** Reads the record back and checks nonce and age; throws RecordError with a session-* code otherwise. */
  async verify(sessionId: string, options: VerifyOptions): Promise<ProvenSession> {
    const f = this.e.fields;
    const row = await this.api.retrieve<Row>(this.e.entitySet, sessionId, [f.id, f.nonce, f.clientInstance, lookupValue('createdby'), lookupValue('createdonbehalfby'), lookupValue('modifiedby'), 'createdon']);
    if (row === null) throw new RecordError('session-not-found', `client session ${sessionId} does not exist`);
    if (text(row, f.nonce) !== options.nonce) throw new RecordError('session-nonce-mismatch', `client session ${sessionId} carries another nonce`);
    const userId = guid(row, lookupValue('createdby'));
    const createdOn = date(row, 'createdon');
    if (userId === undefined || createdOn === undefined) throw new RecordError('invalid-record', `client session ${sessionId} has no createdby/createdon`);
    const modifiedBy = guid(row, lookupValue('modifiedby'));
    if (modifiedBy !== undefined && modifiedBy.toLowerCase() !== userId.toLowerCase()) {
      throw new RecordError('session-modified', `client session ${sessionId} was changed by another user after it was created`);
    }
    const age = options.now - createdOn.getTime();
    if (age > (options.maxAgeMs ?? 120_000)) throw new RecordError('session-expired', `client session ${sessionId} is ${Math.round(age / 1000)} s old`);
    if (age < -(options.skewMs ?? 30_000)) throw new RecordError('session-future', `client session ${sessionId} was created in the future (clock skew?)`);
    const onBehalfBy = guid(row, lookupValue('createdonbehalfby'));
    return { sessionId: guid(row, f.id) ?? sessionId, userId, createdOn, clientInstance: text(row, f.clientInstance), ...(onBehalfBy === undefined ? {} : { onBehalfBy }) };
  }

  /** Session records are single-use: delete after verification (best effort). */
  async remove(sessionId: string): Promise<void> {
    await this.api.delete(this.e.entitySet, sessionId);
  }
}
