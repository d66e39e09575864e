// Checking a connector key: compared against every configured key without an
// early exit, on equal-length SHA-256 digests, so the time taken tells an
// attacker nothing about how close a guess was or which key matched.
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export function keyMatches(given: string, keys: readonly string[]): boolean {
  const g = digest(given);
  let ok = false;
  for (const key of keys) ok = timingSafeEqual(g, digest(key)) || ok;
  return ok;
}
