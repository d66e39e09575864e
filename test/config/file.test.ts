import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, describeIssues, readConfigFile } from '../../src/config/file.ts';

const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-config-'));

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'no error';
  } catch (err) {
    return err instanceof ConfigError ? err.code : `foreign ${String(err)}`;
  }
}

describe('readConfigFile', () => {
  it('reads TOML and JSON with the same keys', async () => {
    writeFileSync(join(dir, 'a.toml'), 'CrmTapiPort = 4505\nLogLevel = 3\n');
    writeFileSync(join(dir, 'a.json'), '{"CrmTapiPort": 4505, "LogLevel": 3}');
    expect(await readConfigFile(join(dir, 'a.toml'))).toEqual({ CrmTapiPort: 4505, LogLevel: 3 });
    expect(await readConfigFile(join(dir, 'a.json'))).toEqual({ CrmTapiPort: 4505, LogLevel: 3 });
  });

  it('names the file, line and column of a syntax error', async () => {
    writeFileSync(join(dir, 'bad.toml'), 'LogLevel = 3\nCrmTapiPort = \n');
    await expect(readConfigFile(join(dir, 'bad.toml'))).rejects.toThrow(/bad\.toml:2:\d+/);
  });

  it('gives a distinct code for each way a file can be wrong', async () => {
    writeFileSync(join(dir, 'bad.json'), '{"a": ');
    writeFileSync(join(dir, 'x.yaml'), 'a: 1');
    expect(await codeOf(readConfigFile(join(dir, 'missing.toml')))).toBe('config-not-found');
    expect(await codeOf(readConfigFile(join(dir, 'bad.json')))).toBe('config-syntax');
    expect(await codeOf(readConfigFile(join(dir, 'x.yaml')))).toBe('config-format');
    expect(await codeOf(readConfigFile(dir + '/'))).toBe('config-format');
  });

  it('describes every bad key in one sentence each', () => {
    const schema = z.object({ CrmTapiPort: z.number().int().min(4502).max(4534), LogLevel: z.union([z.literal(0), z.literal(1), z.literal(3), z.literal(6)]) });
    const result = schema.safeParse({ CrmTapiPort: 80, LogLevel: 2 });
    expect(result.success).toBe(false);
    if (result.success) return;
    const error = describeIssues(result.error, 'manager.toml');
    expect(error.code).toBe('config-invalid');
    expect(error.problems).toHaveLength(2);
    expect(error.problems[0]).toMatch(/^CrmTapiPort: /);
    expect(error.problems[1]).toMatch(/^LogLevel: /);
  });
});
