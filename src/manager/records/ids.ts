// Record ids derived from what identifies a call, so recording the same call
// twice (a snapshot replayed after a reconnect, a sweep racing a late idle)
// enqueues the same ids and the outbox's create-only writes make it one record.
import { createHash } from 'node:crypto';
import type { TrackedCall } from '../routing/calls.ts';

export function nameBasedId(...parts: string[]): string {
  const h = createHash('sha256').update(parts.join('\u0000'), 'utf8').digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x50; // version 5 layout (name-based), SHA-256 instead of SHA-1
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

// The project's namespace for RFC 4122 name-based ids (a fixed random UUID).
const PHONE_CALL_NAMESPACE = Buffer.from('6c0b7f4e8a3d4f21b9e25d7a1c3f0e84', 'hex');

/** RFC 4122 version 5 (SHA-1, name-based) UUID of `name` in the namespace `namespace` (16 bytes). */
export function uuidV5(name: string, namespace: Uint8Array): string {
  const h = createHash('sha1').update(namespace).update(name, 'utf8').digest();
  h[6] = ((h[6] as number) & 0x0f) | 0x50;
  h[8] = ((h[8] as number) & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/**
 * The one phone call activity id of a call for one agent: sent to the agent's
 * client in `callNotification` (the client creates the record under it) and
 * written by the recorder at call end, so both land on the same record.
 */
export function phoneCallIdOf(callKey: string, agentUserId: string): string {
  return uuidV5(`${callKey}\u0000${agentUserId.replace(/[{}]/g, '').toLowerCase()}`, PHONE_CALL_NAMESPACE);
}

const phoneCallIds = new WeakMap<TrackedCall, Map<string, string>>();

/** phoneCallIdOf for a tracked call, worked out once per agent and call (every notification and the record carry it). */
export function phoneCallIdFor(call: TrackedCall, agentUserId: string): string {
  let byUser = phoneCallIds.get(call);
  if (byUser === undefined) phoneCallIds.set(call, (byUser = new Map()));
  let id = byUser.get(agentUserId);
  if (id === undefined) byUser.set(agentUserId, (id = phoneCallIdOf(call.callKey, agentUserId)));
  return id;
}
