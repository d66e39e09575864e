// Record ids derived from what identifies a call, so recording the same call
// twice (a snapshot replayed after a reconnect, a sweep racing a late idle)
// enqueues the same ids and the outbox's create-only writes make it one record.
import { hash } from 'node:crypto';
import type { TrackedCall } from '../routing/calls.ts';

const HEX = '0123456789abcdef';

/**
 * The first 16 bytes of a digest (hex) in the RFC 4122 layout: version 5 (name-based), variant 10. Works on the
 * hex text: the one-shot `hash` returns it without a Hash object or a digest Buffer per id (two ids per call, issue 18).
 */
function nameBasedLayout(hex: string): string {
  const version = '5';
  const variant = HEX[(parseInt(hex[16] as string, 16) & 0x3) | 0x8] as string;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${version}${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function nameBasedId(...parts: string[]): string {
  return nameBasedLayout(hash('sha256', parts.join('\u0000'), 'hex')); // SHA-256 instead of SHA-1
}

// The project's namespace for RFC 4122 name-based ids (a fixed random UUID).
const PHONE_CALL_NAMESPACE = Buffer.from('6c0b7f4e8a3d4f21b9e25d7a1c3f0e84', 'hex');

// Namespace and name are joined here instead of in two new Buffers per id: every popup's first notification makes
// one, on a loop that slept since the last popup, where each allocation and call costs many times its hot cost
// (12–37 % less time for the phone call id after a 5 ms sleep, docs/performance-history.md, thirteenth stop). Synchronous, so never shared.
const SCRATCH = Buffer.alloc(1024);
/** Longest name (UTF-16 code units) that surely fits behind the namespace: at most 3 UTF-8 bytes per unit. */
const SCRATCH_NAME = Math.floor((SCRATCH.length - 16) / 3);

/** RFC 4122 version 5 (SHA-1, name-based) UUID of `name` in the namespace `namespace` (16 bytes). */
export function uuidV5(name: string, namespace: Uint8Array): string {
  if (namespace.length !== 16 || name.length > SCRATCH_NAME) return nameBasedLayout(hash('sha1', Buffer.concat([namespace, Buffer.from(name, 'utf8')]), 'hex'));
  SCRATCH.set(namespace, 0);
  const bytes = SCRATCH.write(name, 16, 'utf8');
  return nameBasedLayout(hash('sha1', SCRATCH.subarray(0, 16 + bytes), 'hex'));
}

/**
 * The one phone call activity id of a call for one agent: sent to the agent's
 * client in `callNotification` (the client creates the record under it) and
 * written by the recorder at call end, so both land on the same record.
 */
export function phoneCallIdOf(callKey: string, agentUserId: string): string {
  return uuidV5(`${callKey}\u0000${agentKey(agentUserId)}`, PHONE_CALL_NAMESPACE);
}

// The agents' user ids as they go into the name, kept: a few per line, the same on every call (bounded, since the
// ids come from the CRM: emptied when full).
const agentKeys = new Map<string, string>();

function agentKey(agentUserId: string): string {
  let key = agentKeys.get(agentUserId);
  if (key === undefined) {
    if (agentKeys.size >= 10_000) agentKeys.clear();
    agentKeys.set(agentUserId, (key = agentUserId.replace(/[{}]/g, '').toLowerCase()));
  }
  return key;
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
