// Reading a Windows registry export (`regedit /e`): "Windows Registry Editor
// Version 5.00" files are UTF-16LE with a byte-order mark, "REGEDIT4" files
// are in the machine's ANSI code page (Windows-1252 in western Europe).
// Returns every value of every key with its type; what we do not read
// (binary, multi-string, expandable strings) is kept as `other` with its
// type name so the importer can say why it is not carried over.
import iconv from 'iconv-lite';

export type RegValue =
  | { type: 'REG_SZ'; name: string; data: string }
  | { type: 'REG_DWORD'; name: string; data: number }
  | { type: 'other'; name: string; typeName: string };

export interface RegKey {
  path: string;
  values: RegValue[];
}

export class RegFileError extends Error {
  readonly code = 'reg-invalid';
}

export function decodeRegFile(bytes: Buffer): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return bytes.subarray(2).toString('utf16le');
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3).toString('utf8');
  // ANSI: Windows-1252 decodes every byte (latin1 would turn € and „ into control characters). Not through
  // TextDecoder: since 20.18.3 Node decodes its 0x80–0x9F wrongly (nodejs/node#60888; here they vanished).
  return iconv.decode(bytes, 'windows-1252');
}

function unescape(text: string): string {
  return text.replace(/\\(.)/g, '$1');
}

export function parseRegFile(bytes: Buffer): RegKey[] {
  const text = decodeRegFile(bytes);
  // Long hex values continue on the next line after a trailing backslash.
  const lines = text.replace(/\\\r?\n\s*/g, '').split(/\r?\n/);
  const header = lines[0]?.trim() ?? '';
  if (header !== 'Windows Registry Editor Version 5.00' && header !== 'REGEDIT4') {
    throw new RegFileError(`not a registry export: the first line is "${header.slice(0, 60)}", expected "Windows Registry Editor Version 5.00" or "REGEDIT4"`);
  }
  const keys: RegKey[] = [];
  let current: RegKey | undefined;
  lines.slice(1).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith(';')) return;
    const section = /^\[(-?)(.+)\]$/.exec(line);
    if (section !== null) {
      current = section[1] === '-' ? undefined : { path: section[2]!, values: [] };
      if (current !== undefined) keys.push(current);
      return;
    }
    if (current === undefined) throw new RegFileError(`line ${i + 2}: a value outside of a [key]`);
    const value = /^(@|"((?:[^"\\]|\\.)*)")=(.*)$/.exec(line);
    if (value === null) throw new RegFileError(`line ${i + 2}: not a "name"=value line: ${line.slice(0, 80)}`);
    const name = value[1] === '@' ? '' : unescape(value[2]!);
    const data = value[3]!;
    const sz = /^"((?:[^"\\]|\\.)*)"$/.exec(data);
    const dword = /^dword:([0-9a-fA-F]{8})$/.exec(data);
    if (sz !== null) current.values.push({ type: 'REG_SZ', name, data: unescape(sz[1]!) });
    else if (dword !== null) current.values.push({ type: 'REG_DWORD', name, data: Number.parseInt(dword[1]!, 16) });
    else if (data === '-') return;
    else {
      const kind = /^hex(?:\(([0-9a-f]+)\))?:/i.exec(data)?.[1];
      const typeName = kind === undefined ? (data.startsWith('hex:') ? 'REG_BINARY' : 'unknown') : ({ '2': 'REG_EXPAND_SZ', '7': 'REG_MULTI_SZ', b: 'REG_QWORD', '0': 'REG_NONE' }[kind.toLowerCase()] ?? `hex(${kind})`);
      current.values.push({ type: 'other', name, typeName });
    }
  });
  return keys;
}
