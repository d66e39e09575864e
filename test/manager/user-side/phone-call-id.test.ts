// The phone call id the manager sends in callNotification and writes at call
// end: a real RFC 4122 version 5 UUID, the same for the same call and agent.
import { createHash } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { nameBasedId, phoneCallIdOf, uuidV5 } from '../../../src/manager/records/ids.ts';

/** RFC 4122's byte-level recipe, as the ids were made before they were worked out from the hex digest. */
function byBytes(digest: Buffer): string {
  digest[6] = ((digest[6] as number) & 0x0f) | 0x50;
  digest[8] = ((digest[8] as number) & 0x3f) | 0x80;
  const x = digest.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

const DNS = Buffer.from('6ba7b8109dad11d180b400c04fd430c8', 'hex');

describe('phone call id', () => {
  test('uuidV5 matches the well-known RFC 4122 value (Python uuid5(NAMESPACE_DNS, "www.example.com"))', () => {
    expect(uuidV5('www.example.com', DNS)).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  test('same call and agent give the same id, whatever the case or braces of the user id', () => {
    const id = phoneCallIdOf('pbx1/0x1F3A', '85938DAD-EBD6-E511-80DE-00155D001BA9');
    expect(phoneCallIdOf('pbx1/0x1F3A', '{85938dad-ebd6-e511-80de-00155d001ba9}')).toBe(id);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  // Record ids already in outboxes and CRMs were made the byte-level way: the same input must still give the same id.
  test.prop([fc.string({ unit: 'binary' }), fc.uint8Array({ minLength: 16, maxLength: 16 })], { numRuns: 500 })('uuidV5 gives what the byte-level recipe gives', (name, namespace) => {
    expect(uuidV5(name, namespace)).toBe(byBytes(createHash('sha1').update(namespace).update(name, 'utf8').digest()));
  });

  // Names past what the scratch buffer surely holds (336 code units) are joined in new Buffers: the same ids either way.
  test.prop([fc.string({ unit: 'binary', minLength: 300, maxLength: 1200 }), fc.uint8Array({ minLength: 16, maxLength: 16 })], { numRuns: 200 })('uuidV5 of a long name gives what the byte-level recipe gives', (name, namespace) => {
    expect(uuidV5(name, namespace)).toBe(byBytes(createHash('sha1').update(namespace).update(name, 'utf8').digest()));
  });

  test.prop([fc.array(fc.string({ unit: 'binary' }), { maxLength: 4 })], { numRuns: 500 })('nameBasedId gives what the byte-level recipe gives', (parts) => {
    expect(nameBasedId(...parts)).toBe(byBytes(createHash('sha256').update(parts.join('\u0000'), 'utf8').digest()));
  });

  test.prop([fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.uuid(), fc.uuid()])('another call or another agent gives another id', (a, b, u, v) => {
    fc.pre(a !== b && u.toLowerCase() !== v.toLowerCase());
    expect(phoneCallIdOf(a, u)).not.toBe(phoneCallIdOf(b, u));
    expect(phoneCallIdOf(a, u)).not.toBe(phoneCallIdOf(a, v));
  });
});
