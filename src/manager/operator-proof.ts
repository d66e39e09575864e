// The operator's proof on the diagnose channel (contracts.ts): an HMAC of the
// manager's nonce under DiagnoseKey, so the key never crosses the wire and a
// recorded answer is useless for any other nonce.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const OPERATOR_PROOF_PREFIX = 'operator:';

export function operatorProof(key: string, nonce: string): string {
  return OPERATOR_PROOF_PREFIX + createHmac('sha256', key).update(nonce, 'utf8').digest('base64url');
}

/** Constant-time check of a `clientInstanceId` against the expected proof. */
export function isOperatorProof(key: string | undefined, nonce: string, clientInstanceId: string): boolean {
  if (key === undefined) return false;
  const expected = Buffer.from(operatorProof(key, nonce), 'utf8');
  const given = Buffer.from(clientInstanceId, 'utf8');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
