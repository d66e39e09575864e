// The identity proof (DESIGN.md "Identity of browser clients"): the manager
// hands out a nonce; the client creates a session record carrying it in
// Dataverse while signed in as itself; the manager reads the record with its
// own account and trusts only the server-set `createdby`. The user id a
// client claims in `connect` is never trusted. On the diagnose channel the
// operator may instead prove knowledge of DiagnoseKey (contracts.ts).
import { randomBytes } from 'node:crypto';
import { RecordError, type Repositories } from '../../dataverse/repositories/index.ts';
import { CrmTapiError } from '../../protocol/errors.ts';
import { OPERATOR_SESSION_RECORD_ID } from '../contracts.ts';
import { isOperatorProof } from '../operator-proof.ts';
import type { UserCache } from '../entitlements/users.ts';
import type { ProvenUser } from './connection.ts';

export type ProofErrorCode = 'proof-failed' | 'proof-expired' | 'user-disabled' | 'not-admin' | 'crm-unavailable';

export class ProofError extends CrmTapiError {
  constructor(
    readonly code: ProofErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function newNonce(): string {
  return randomBytes(32).toString('base64url');
}

export interface ProofInput {
  nonce: string;
  sessionRecordId: string;
  clientInstanceId: string;
  channel: 'intincall' | 'diagnose';
}

export interface ProofDeps {
  repositories: Repositories;
  users: UserCache;
  now: () => number;
  diagnoseKey: () => string | undefined;
  /** How old a session record may be (ms). */
  maxAgeMs: number;
}

const RECORD_CODES: Record<string, string> = {
  'session-not-found': 'the session record does not exist (was it created in the CRM this manager serves?)',
  'session-nonce-mismatch': 'the session record carries another nonce',
  'session-expired': 'the session record is too old',
  'session-future': 'the session record was created in the future (clock skew between the CRM and the manager?)',
  'invalid-record': 'the session record has no creator',
  'session-modified': 'the session record was changed by another user after it was created',
};

/** Checks a `prove`; resolves with the proven user or throws ProofError (no secret in any message). */
export async function verifyProof(input: ProofInput, deps: ProofDeps): Promise<ProvenUser> {
  if (input.sessionRecordId === OPERATOR_SESSION_RECORD_ID) {
    if (input.channel === 'diagnose' && isOperatorProof(deps.diagnoseKey(), input.nonce, input.clientInstanceId)) {
      return { id: OPERATOR_SESSION_RECORD_ID, name: 'operator', admin: true, operator: true };
    }
    throw new ProofError('proof-failed', 'the operator proof is wrong (or DiagnoseKey is not configured)');
  }
  let userId: string;
  try {
    const session = await deps.repositories.sessions.verify(input.sessionRecordId, { nonce: input.nonce, now: deps.now(), maxAgeMs: deps.maxAgeMs });
    if (session.onBehalfBy !== undefined) throw new ProofError('proof-failed', 'the session record was created on behalf of another user');
    userId = session.userId;
  } catch (err) {
    if (err instanceof ProofError) throw err;
    if (err instanceof RecordError && RECORD_CODES[err.code] !== undefined) {
      throw new ProofError(err.code === 'session-expired' ? 'proof-expired' : 'proof-failed', RECORD_CODES[err.code] as string, { cause: err });
    }
    throw new ProofError('crm-unavailable', 'the CRM could not be asked to confirm the session; try again', { cause: err });
  }
  // Single use: a replayed prove finds nothing. Best effort — the nonce check already binds it to this socket.
  deps.repositories.sessions.remove(input.sessionRecordId).catch(() => undefined);
  let user;
  try {
    user = await deps.users.get(userId);
  } catch (err) {
    throw new ProofError('crm-unavailable', 'the CRM could not be asked who you are; try again', { cause: err });
  }
  if (user === undefined) throw new ProofError('proof-failed', 'the session record was created by an unknown user');
  if (user.disabled) throw new ProofError('user-disabled', 'your CRM user is disabled');
  let admin = false;
  try {
    admin = await deps.users.isAdmin(userId);
  } catch (err) {
    if (input.channel === 'diagnose') throw new ProofError('crm-unavailable', 'the CRM could not be asked for your roles; try again', { cause: err });
  }
  return { id: user.id, name: user.name, admin, operator: false };
}
