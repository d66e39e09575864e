import { describe, expect, it } from 'vitest';
import { DirectoryError } from '../../../src/dataverse/directory/errors.ts';
import { DEFAULT_PHONE_FIELDS, entityRank, mergePhoneFields, parseIncallPhoneFields, phoneFieldsFromSetting } from '../../../src/dataverse/directory/phone-fields.ts';

describe('IncallPhoneFields', () => {
  it('parses entity.field items separated by commas, semicolons and white space', () => {
    expect(parseIncallPhoneFields('contact.telephone4, new_site.new_phone;\n new_site.new_fax  Account.Fax')).toEqual([
      { entity: 'contact', fields: ['telephone4'] },
      { entity: 'new_site', fields: ['new_phone', 'new_fax'] },
      { entity: 'account', fields: ['fax'] },
    ]);
  });

  it('accepts an array and treats empty values as no extra fields', () => {
    expect(parseIncallPhoneFields(['lead.telephone9'])).toEqual([{ entity: 'lead', fields: ['telephone9'] }]);
    expect(parseIncallPhoneFields('')).toEqual([]);
    expect(parseIncallPhoneFields(undefined)).toEqual([]);
    expect(parseIncallPhoneFields(' ; , ')).toEqual([]);
  });

  it('names every bad item in one message', () => {
    const attempt = () => parseIncallPhoneFields('contact, lead.mobile-phone, x.y.z, 1abc.phone');
    expect(attempt).toThrow(DirectoryError);
    try {
      attempt();
    } catch (err) {
      expect((err as DirectoryError).code).toBe('invalid-phone-fields');
      expect((err as Error).message).toBe(
        'IncallPhoneFields: item 1 "contact" is not of the form "entity.field"; item 2 "lead.mobile-phone": "mobile-phone" is not a logical field name; ' +
          'item 3 "x.y.z" is not of the form "entity.field"; item 4 "1abc.phone": "1abc" is not a logical entity name',
      );
    }
  });

  it('rejects values that are not text or lists', () => {
    expect(() => parseIncallPhoneFields(42)).toThrow(/expected a list of "entity.field" items, got number/);
    expect(() => parseIncallPhoneFields([7])).toThrow(/item 1 is a number/);
  });

  it('merges into the defaults without duplicates, keeping the default order', () => {
    const merged = phoneFieldsFromSetting('contact.mobilephone contact.pager new_site.new_phone');
    expect(merged.map((e) => e.entity)).toEqual(['account', 'contact', 'lead', 'new_site']);
    expect(merged[1]!.fields).toEqual([...DEFAULT_PHONE_FIELDS[1]!.fields, 'pager']);
  });

  it('refuses more fields than the packed index can address', () => {
    const many = Array.from({ length: 260 }, (_, i) => `new_e.f${i}`);
    expect(() => mergePhoneFields(DEFAULT_PHONE_FIELDS, parseIncallPhoneFields(many))).toThrow(/at most 255/);
  });

  it('ranks contact, account, lead, then others', () => {
    expect(['lead', 'new_x', 'account', 'contact'].sort((a, b) => entityRank(a) - entityRank(b))).toEqual(['contact', 'account', 'lead', 'new_x']);
  });
});
