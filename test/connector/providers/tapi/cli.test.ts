// `crm-tapi connector` with `[Provider] Kind = "tapi"` on a machine without
// Windows TAPI: the configuration is valid, the service refuses to start with
// the sentence that names the alternatives, exit status 1, nothing crashes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TAPI_UNAVAILABLE } from '../../../../src/connector/providers/tapi/binding.ts';

const BIN = new URL('../../../../bin/crm-tapi.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-tapi-cli-'));
const config = join(dir, 'connector.toml');
writeFileSync(
  config,
  'CRMTapiManagerServer = "127.0.0.1"\nCRMTapiManagerPort = 4502\nConnectorKey = "tapi-cli-test-connector-key-0001"\n[Provider]\nKind = "tapi"\nRequestTimeout = 5\n',
);

describe.skipIf(process.platform === 'win32')('crm-tapi connector with Kind = "tapi" off Windows', () => {
  it('--check-config accepts the tapi keys', () => {
    const run = spawnSync(process.execPath, [BIN, 'connector', '--config', config, '--check-config'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('provider tapi (AppName crm-tapi)');
  });

  it('refuses to start with the sentence that names simulator, replay and sip', () => {
    const run = spawnSync(process.execPath, [BIN, 'connector', '--config', config], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(TAPI_UNAVAILABLE);
    expect(run.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});
