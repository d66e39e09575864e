// Record ids derived from what identifies a call, so recording the same call
// twice (a snapshot replayed after a reconnect, a sweep racing a late idle)
// enqueues the same ids and the outbox's create-only writes make it one record.
import { createHash } from 'node:crypto';

export function nameBasedId(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000'), 'utf8').digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x50; // version 5 layout (name-based), SHA-256 instead of SHA-1
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}
