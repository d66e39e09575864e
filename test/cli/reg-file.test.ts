// Reading a Windows registry export (cli/migrate/reg-file.ts), the input of
// `crm-tapi config import-reg`, byte for byte as regedit writes it: the three
// encodings, long values continued over lines, comments, deleted keys and
// values, escaped names and data, the types it does not carry over, and a
// precise refusal of what is no export. The import-reg tests run the command
// on two real exports; each case here failed on a hand-made break they did
// not catch.
import { describe, expect, it } from 'vitest';
import { parseRegFile, RegFileError } from '../../src/cli/migrate/reg-file.ts';

const V5 = 'Windows Registry Editor Version 5.00';
const utf16 = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
const utf8bom = (text: string) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')]);

describe('encodings', () => {
  it('reads the same keys from UTF-16LE, UTF-8 with a byte-order mark, and a Windows-1252 REGEDIT4 file', () => {
    const body = '\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Tapi]\r\n"Site"="Berlin Süd"\r\n';
    const expected = [{ path: 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Tapi', values: [{ type: 'REG_SZ', name: 'Site', data: 'Berlin Süd' }] }];
    expect(parseRegFile(utf16(V5 + body))).toEqual(expected);
    expect(parseRegFile(utf8bom(V5 + body))).toEqual(expected);
    expect(parseRegFile(Buffer.from(`REGEDIT4${body}`, 'latin1'))).toEqual(expected);
  });

  it('decodes the ANSI file as Windows-1252: € and „ are characters, not controls', () => {
    // 0x80 is € and 0x84 is „ in Windows-1252; in Latin-1 both are C1 control characters.
    const bytes = Buffer.concat([Buffer.from('REGEDIT4\r\n[HKEY_LOCAL_MACHINE\\X]\r\n"Name"="', 'latin1'), Buffer.from([0x84, 0x80, 0x93]), Buffer.from('"\r\n', 'latin1')]);
    expect(parseRegFile(bytes)[0]?.values[0]).toEqual({ type: 'REG_SZ', name: 'Name', data: '„€“' });
  });
});

describe('lines', () => {
  it('joins a long value continued over lines, skips comments, and drops keys and values marked for deletion', () => {
    const text = [
      V5, '',
      '; exported by regedit',
      '[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Old]',
      '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Tapi]',
      '"Blob"=hex:01,02,03,\\',
      '  04,05',
      '"Gone"=-',
      '"Port"=dword:000011a9',
      '',
    ].join('\r\n');
    expect(parseRegFile(utf16(text))).toEqual([
      { path: 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Tapi', values: [{ type: 'other', name: 'Blob', typeName: 'REG_BINARY' }, { type: 'REG_DWORD', name: 'Port', data: 4521 }] },
    ]);
  });

  it('unescapes names and data; names the types it does not carry over, and an unknown notation as unknown', () => {
    const text = [
      V5, '[HKEY_LOCAL_MACHINE\\X]',
      '"Pfad \\"A\\""="C:\\\\Programme\\\\Tapi"',
      '@="default"',
      '"Multi"=hex(7):41,00,00,00',
      '"Expand"=hex(2):41,00,00,00',
      '"Odd"=qword:1',
    ].join('\r\n');
    expect(parseRegFile(utf16(text))[0]?.values).toEqual([
      { type: 'REG_SZ', name: 'Pfad "A"', data: 'C:\\Programme\\Tapi' },
      { type: 'REG_SZ', name: '', data: 'default' },
      { type: 'other', name: 'Multi', typeName: 'REG_MULTI_SZ' },
      { type: 'other', name: 'Expand', typeName: 'REG_EXPAND_SZ' },
      { type: 'other', name: 'Odd', typeName: 'unknown' },
    ]);
  });
});

describe('refusals', () => {
  it('a value before any key, or under a deleted key, is refused with its line number', () => {
    expect(() => parseRegFile(utf16(`${V5}\r\n"Port"=dword:00000001`))).toThrow(new RegFileError('line 2: a value outside of a [key]'));
    expect(() => parseRegFile(utf16(`${V5}\r\n[-HKEY_LOCAL_MACHINE\\X]\r\n"Port"=dword:00000001`))).toThrow(/line 3: a value outside of a \[key\]/);
  });

  it('a line that is no "name"=value is refused with its line number and text', () => {
    expect(() => parseRegFile(utf16(`${V5}\r\n[HKEY_LOCAL_MACHINE\\X]\r\nPort=1`))).toThrow(/line 3: not a "name"=value line: Port=1/);
  });
});
