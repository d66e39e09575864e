// `crm-tapi config import-reg`: the vendor's registry exports (manual 4.5.1
// and 4.5.2; fixtures/reg, UTF-16LE with BOM and Windows-1252 ANSI) become
// TOML the services accept once the keys the registry cannot hold are added,
// with one line per value not carried over and why.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { parseRegFile } from '../../src/cli/migrate/reg-file.ts';
import { runCli } from '../manager/support/cli.ts';

const REG = fileURLToPath(new URL('../../fixtures/reg/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-import-reg-'));

describe('crm-tapi config import-reg', () => {
  it('carries the manager key (UTF-16LE export) over; the result passes manager --check-config once ConnectorKeys and the password are added', async () => {
    const r = await runCli({}, 'config', 'import-reg', join(REG, 'manager-4.5.1-utf16.reg'), '--service', 'manager');
    expect(r.status).toBe(0);
    for (const line of ['CrmTapiPort = 4505', 'CrmTapiWebSocketPort = 8080', 'CrmType = "OnPremise"', 'CrmUsername = "CONTOSO\\\\svc-crmtapi"', 'ListenerTestIntervall = 120', 'LogLevel = 3', 'RefreshTelephoneNumberIntervall = 1800', 'RefreshTelephoneNumberTime = "4:00"', 'LogFile = "C:\\\\LogTapi\\\\Manager_Tapilog.log"']) {
      expect(r.out.split('\n')).toContain(line);
    }
    expect(r.out).not.toMatch(/^CrmPassword =/m);
    const skipped = r.err.trim().split('\n');
    expect(skipped).toEqual(expect.arrayContaining([
      expect.stringMatching(/^not carried over: CrmPassword \(.*\): stored encrypted by the vendor's installer/),
      expect.stringMatching(/^not carried over: ServiceAccount \(.*\): the account is part of the service definition/),
      expect.stringMatching(/^not carried over: CrmTypeValues \(.*\): documentation/),
      expect.stringMatching(/^not carried over: InstallPath \(.*\): not a setting of the crm-tapi manager/),
    ]));
    const file = join(dir, 'manager.toml');
    writeFileSync(file, `${r.out}\nConnectorKeys = ["imported-connector-key-0001"]\nCrmPassword = "env:IMPORT_TEST_PASSWORD"\nDataDir = "data"\n`);
    const check = await runCli({ IMPORT_TEST_PASSWORD: 'x' }, 'manager', '--config', file, '--check-config');
    expect(check.err).toBe('');
    expect(check.status).toBe(0);
  });

  it('carries the connector key (ANSI export, a non-ASCII path) over; the result passes connector --check-config once the key and provider are added', async () => {
    const out = join(dir, 'connector.toml');
    const r = await runCli({}, 'config', 'import-reg', join(REG, 'connector-4.5.2-ansi.reg'), '--service', 'connector', '--out', out);
    expect(r.status).toBe(0);
    const text = readFileSync(out, 'utf8');
    for (const line of ['CRMTapiManagerPort = 4505', 'CRMTapiManagerServer = "pcsi"', 'ConnectionKeepAliveIntervall = 20', 'RejectViaDisconnect = 1', 'NewInitTime = "4:00"', 'LogFile = "C:\\\\Protokolle\\\\Überwachung\\\\Connector_Tapilog.log"']) {
      expect(text.split('\n')).toContain(line);
    }
    expect(r.err).toContain('not carried over: LogArtValues');
    writeFileSync(out, `ConnectorKey = "imported-connector-key-0001"\n${text.replace('LogArt = "File"', 'LogArt = "Event"')}\n[Provider]\nKind = "simulator"\nLines = "20-29"\n`);
    const check = await runCli({}, 'connector', '--config', out, '--check-config');
    expect(check.err).toBe('');
    expect(check.status).toBe(0);
    expect((await runCli({}, 'config', 'import-reg', join(REG, 'connector-4.5.2-ansi.reg'), '--service', 'connector', '--out', out)).status).toBe(1);
  });

  it('refuses what is not a registry export, or a wrong --service, with status 2', async () => {
    const bad = join(dir, 'not.reg');
    writeFileSync(bad, 'CrmTapiPort = 4505\n');
    const r = await runCli({}, 'config', 'import-reg', bad, '--service', 'manager');
    expect(r.status).toBe(2);
    expect(r.err).toMatch(/^error: reg-invalid: .*not a registry export/);
    expect((await runCli({}, 'config', 'import-reg', bad, '--service', 'pbx')).status).toBe(2);
  });

  test.prop([fc.dictionary(fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ]{0,20}$/), fc.oneof(fc.string({ maxLength: 40 }), fc.integer({ min: 0, max: 0xffffffff })), { maxKeys: 8 }), fc.boolean()])(
    'reads back every REG_SZ and REG_DWORD value in both encodings',
    (values, utf16) => {
      const esc = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
      const body = Object.entries(values).map(([k, v]) => `"${esc(k)}"=${typeof v === 'number' ? `dword:${v.toString(16).padStart(8, '0')}` : `"${esc(v.replace(/[\r\n]/g, ' '))}"`}`);
      const text = [utf16 ? 'Windows Registry Editor Version 5.00' : 'REGEDIT4', '', '[HKEY_LOCAL_MACHINE\\SOFTWARE\\Test]', ...body, ''].join('\r\n');
      const ansiSafe = [...text].every((c) => c.charCodeAt(0) < 0x80);
      const bytes = utf16 ? Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]) : Buffer.from(ansiSafe ? text : [...text].map((c) => (c.charCodeAt(0) < 0x80 ? c : "?")).join(""), 'latin1');
      const [key] = parseRegFile(bytes);
      expect(key!.values.length).toBe(Object.keys(values).length);
      for (const v of key!.values) {
        const want = values[v.name];
        if (typeof want === 'number') expect(v).toEqual({ type: 'REG_DWORD', name: v.name, data: want });
        else if (utf16 || ansiSafe) expect(v).toEqual({ type: 'REG_SZ', name: v.name, data: (want ?? '').replace(/[\r\n]/g, ' ') });
      }
    },
  );
});
