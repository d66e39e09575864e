// The phone call id the manager sends in callNotification and writes at call
// end: a real RFC 4122 version 5 UUID, the same for the same call and agent.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { phoneCallIdOf, uuidV5 } from '../../../src/manager/records/ids.ts';

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

  test.prop([fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), fc.uuid(), fc.uuid()])('another call or another agent gives another id', (a, b, u, v) => {
    fc.pre(a !== b && u.toLowerCase() !== v.toLowerCase());
    expect(phoneCallIdOf(a, u)).not.toBe(phoneCallIdOf(b, u));
    expect(phoneCallIdOf(a, u)).not.toBe(phoneCallIdOf(a, v));
  });
});
