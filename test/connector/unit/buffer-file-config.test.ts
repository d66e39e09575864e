// The BufferFile key: optional, relative to the configuration file, read at start only.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/file.ts';
import { validateConnectorConfig } from '../../../src/connector/config/load.ts';
import { diffConfig } from '../../../src/connector/config/reload.ts';

const base = { CRMTapiManagerServer: 'mgr.example', ConnectorKey: 'buffer-file-config-key-1', ConnectorHost: 'cfg.test', Provider: { Kind: 'simulator', Lines: '20' } };
const validate = (extra: Record<string, unknown>) => validateConnectorConfig({ ...base, ...extra }, 'connector.toml', { baseDir: '/etc/crm-tapi' });

describe('BufferFile', () => {
  it('is absent by default (the buffer stays in memory)', () => {
    expect(validate({}).BufferFile).toBeUndefined();
  });

  it('resolves a relative path against the configuration file, keeps an absolute one, and matches the key without regard to case', () => {
    expect(validate({ BufferFile: 'state/buffer.sqlite' }).BufferFile).toBe('/etc/crm-tapi/state/buffer.sqlite');
    expect(validate({ bufferfile: '/var/lib/crm-tapi/buffer.sqlite' }).BufferFile).toBe('/var/lib/crm-tapi/buffer.sqlite');
  });

  it('refuses an empty path with one sentence', () => {
    try {
      validate({ BufferFile: '  ' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual(['BufferFile: must be the path of the durable event buffer (an SQLite file of its own)']);
    }
  });

  it('is a restart key: a change is reported as needing a restart, not applied live', () => {
    const changes = diffConfig(validate({}), validate({ BufferFile: 'buffer.sqlite' }));
    expect(changes).toEqual({ live: [], restart: ['BufferFile'] });
  });
});
