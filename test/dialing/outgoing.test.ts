// Click to dial, country by country, in the forms people type into CRM records.
import { describe, expect, it } from 'vitest';
import { toDialString, type EffectiveDialingSettings } from '../../src/dialing/index.ts';
import { AUSTRIA, BRITAIN, GERMANY, SWITZERLAND, USA } from './helpers.ts';

type Row = readonly [typed: string, kind: 'internal' | 'external', dial: string, e164?: string];

function table(name: string, s: EffectiveDialingSettings, rows: readonly Row[]): void {
  describe(`dial string, ${name}`, () => {
    for (const [typed, kind, dial, e164] of rows) {
      it(`${typed} → ${kind} ${dial}`, () => {
        const r = toDialString(typed, s);
        if (!r.ok) throw r.error;
        expect(r.kind).toBe(kind);
        expect(r.dial).toBe(dial);
        if (r.kind === 'external') expect(r.e164).toBe(e164);
        else expect(r.extension).toBe(dial);
      });
    }
  });
}

table('Germany (area 34361, base 826, outside line 0)', GERMANY, [
  ['+49 (34361) 826-25', 'internal', '25'],
  ['+49 34361 826-25', 'internal', '25'],
  ['034361/826-25', 'internal', '25'],
  ['826-25', 'internal', '25'],
  ['40', 'internal', '40'],
  // the boundary: at most maxInternalLength (3) digits is internal, one more is a local number
  ['123', 'internal', '123'],
  ['1234', 'external', '01234', '+49343611234'],
  // the switchboard "-0" starts with the outside-line prefix: dialled as an outside number
  ['+49 34361 826-0', 'external', '08260', '+49343618260'],
  // "025" is no dialable extension for the same reason
  ['034361826025', 'external', '0826025', '+4934361826025'],
  ['12345', 'external', '012345', '+493436112345'],
  ['0341 1234567', 'external', '003411234567', '+493411234567'],
  ['+49 (0)30 1234567', 'external', '00301234567', '+49301234567'],
  ['0049 30 1234567', 'external', '00301234567', '+49301234567'],
  ['+49 030 1234567', 'external', '00301234567', '+49301234567'],
  ['0171 / 123 45 67', 'external', '001711234567', '+491711234567'],
  ['+43 1 53115 0', 'external', '000431531150', '+431531150'],
  ['+1 (212) 555-0123', 'external', '00012125550123', '+12125550123'],
]);

table('Austria (Vienna 1, base 53115)', AUSTRIA, [
  ['+43 1 53115-123', 'internal', '123'],
  ['01 53115 42', 'internal', '42'],
  ['+43 (0)1 53115 0', 'external', '0531150', '+431531150'],
  ['01 234 5678', 'external', '02345678', '+4312345678'],
  ['0664 1234567', 'external', '006641234567', '+436641234567'],
  ['0316 123456', 'external', '00316123456', '+43316123456'],
  ['+49 30 1234567', 'external', '00049301234567', '+49301234567'],
]);

table('Switzerland (Zürich 44, base 668 18, no local dialling)', SWITZERLAND, [
  ['+41 44 668 18 12', 'internal', '12'],
  ['044 668 18 00', 'external', '00446681800', '+41446681800'],
  ['123 45 67', 'external', '00441234567', '+41441234567'],
  ['079 123 45 67', 'external', '00791234567', '+41791234567'],
  ['+41 (0)31 123 45 67', 'external', '00311234567', '+41311234567'],
  ['0049 30 1234567', 'external', '00049301234567', '+49301234567'],
]);

table('Britain (London 20, base 7946 0, outside line 9)', BRITAIN, [
  ['020 7946 0123', 'internal', '123'],
  ['0044 20 7946 0456', 'internal', '456'],
  // extension 958 starts with the outside-line prefix 9: dialled as a local outside number
  ['+44 (0)20 7946 0958', 'external', '979460958', '+442079460958'],
  ['7946 1234', 'external', '979461234', '+442079461234'],
  ['+44 (0)161 496 0000', 'external', '901614960000', '+441614960000'],
  ['07700 900123', 'external', '907700900123', '+447700900123'],
  ['+1 (212) 555-0123', 'external', '90012125550123', '+12125550123'],
]);

table('USA (New York 212, base 555-01, outside line 9)', USA, [
  ['(212) 555-0123', 'internal', '23'],
  ['+1 212-555-0145', 'internal', '45'],
  // extension 99 starts with the outside-line prefix 9
  ['212-555-0199', 'external', '95550199', '+12125550199'],
  ['555-2671', 'external', '95552671', '+12125552671'],
  ['1-415-555-2671', 'external', '914155552671', '+14155552671'],
  ['(415) 555-2671', 'external', '914155552671', '+14155552671'],
  ['415.555.2671', 'external', '914155552671', '+14155552671'],
  ['+1 800 356 9377', 'external', '918003569377', '+18003569377'],
  ['+49 30 1234567', 'external', '901149301234567', '+49301234567'],
  ['011 44 20 7946 0958', 'external', '9011442079460958', '+442079460958'],
]);

describe('dial trace', () => {
  it('logs an internal number like the manual', () => {
    const r = toDialString('40', GERMANY);
    expect(r.ok && r.trace).toEqual(['number 40 recognised as internal number', 'converted number: 40 is dialled']);
  });

  it('logs why an external number is dialled as it is', () => {
    const r = toDialString('0341 1234567', GERMANY);
    expect(r.ok && r.trace).toEqual([
      'number 0341 1234567 recognised as external number +493411234567',
      'dialled as a national number',
      'outside-line prefix 0 put in front',
      'converted number: 003411234567 is dialled',
    ]);
  });

  it('names the company extension it found', () => {
    const r = toDialString('+49 (34361) 826-25', GERMANY);
    expect(r.ok && r.trace).toEqual([
      'number +49 (34361) 826-25 recognised as internal number 25 of the own company (+493436182625)',
      'converted number: 25 is dialled',
    ]);
  });

  it('says that an extension written after "x" is not dialled', () => {
    const r = toDialString('+1 (415) 555-2671 x 204', USA);
    expect(r.ok && r.dial).toBe('914155552671');
    expect(r.ok && r.trace[0]).toBe('extension 204 after the number is not dialled (it is reached through the switchboard)');
  });

  it('falls back to the national form when the local one would look like an extension', () => {
    // a 3-digit local number in the own area is read as an extension by these settings
    const s = { ...GERMANY, maxInternalLength: 5 };
    const r = toDialString('0 34361 123456', s);
    expect(r.ok && r.dial).toBe('0123456');
    const short = toDialString('+49 34361 12345', s);
    expect(short.ok && short.dial).toBe('003436112345');
    expect(short.ok && short.trace[1]).toBe('dialled as a national number (12345 would be read as another number)');
  });
});

describe('dialLocalWithoutAreaCode', () => {
  it('dials the area code in the own area when it is false', () => {
    const r = toDialString('12345', { ...GERMANY, dialLocalWithoutAreaCode: false });
    expect(r.ok && r.dial).toBe('003436112345');
    expect(toDialString('12345', GERMANY)).toMatchObject({ ok: true, dial: '012345' });
  });
});
