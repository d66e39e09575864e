import { afterEach, describe, expect, it } from 'vitest';
import { fc, test as fcTest } from '@fast-check/vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceLogger, LogError, pinoLevelFor, REDACTED, type ServiceLogger } from '../../../src/logging/index.ts';

class Capture {
  lines: string[] = [];
  write(chunk: string): void {
    this.lines.push(...chunk.split('\n').filter((l) => l.length > 0));
  }
  get records(): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  get messages(): string[] {
    return this.records.map((r) => String(r.msg));
  }
}

const open: ServiceLogger[] = [];
afterEach(async () => {
  for (const l of open.splice(0)) await l.close();
});

async function make(settings: Parameters<typeof createServiceLogger>[0]['settings'], extra: Partial<Parameters<typeof createServiceLogger>[0]> = {}) {
  const out = new Capture();
  const log = await createServiceLogger({ service: 'connector', settings, stdout: out, platform: 'linux', ...extra });
  open.push(log);
  return { log, out };
}

function emitAll(log: ServiceLogger): void {
  log.logger.error('e');
  log.logger.warn('w');
  log.logger.info('i');
  log.logger.debug('d');
}

describe('LogLevel mapping', () => {
  it('follows the manual: 0 errors, 1 +warnings, 3 +info, 6 +details; values between round down', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map(pinoLevelFor)).toEqual(['error', 'warn', 'warn', 'info', 'info', 'info', 'debug']);
  });

  it.each([
    [0, ['e']],
    [1, ['e', 'w']],
    [3, ['e', 'w', 'i']],
    [6, ['e', 'w', 'i', 'd']],
  ])('LogLevel %i shows %j', async (level, expected) => {
    const { log, out } = await make({ LogArt: 'Event', LogLevel: level });
    emitAll(log);
    expect(out.messages).toEqual(expected);
  });

  it('changes level while running', async () => {
    const { log, out } = await make({ LogArt: 'Event', LogLevel: 0 });
    log.logger.info('hidden');
    await log.apply({ LogArt: 'Event', LogLevel: 6 });
    log.logger.debug('shown');
    expect(out.messages).toEqual(['shown']);
  });

  it('tags lines with the service and an ISO time', async () => {
    const { log, out } = await make({ LogArt: 'Event', LogLevel: 3 });
    log.logger.info('x');
    expect(out.records[0]).toMatchObject({ service: 'connector', msg: 'x', level: 30 });
    expect(String(out.records[0]?.time)).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});

describe('LogArt = File', () => {
  function readLog(dir: string): string {
    return readdirSync(dir)
      .filter((f) => f.startsWith('connector'))
      .map((f) => readFileSync(join(dir, f), 'utf8'))
      .join('');
  }

  it('writes to LogFile (creating its directory) and switches back and forth while running', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'crm-tapi-log-')), 'sub');
    const file = join(dir, 'connector.log');
    const { log, out } = await make({ LogArt: 'Event', LogLevel: 3 });
    log.logger.info('to stdout');
    await log.apply({ LogArt: 'File', LogFile: file, LogLevel: 3 });
    expect(log.destination).toBe(`file ${file}`);
    log.logger.info('to file');
    await log.apply({ LogArt: 'Event', LogLevel: 3 });
    log.logger.info('stdout again');
    expect(out.messages).toEqual(['to stdout', 'stdout again']);
    expect(readLog(dir)).toContain('"msg":"to file"');
    expect(readLog(dir)).not.toContain('stdout again');
  });

  it('keeps the old destination when the new file cannot be opened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-log-'));
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, 'x');
    const { log, out } = await make({ LogArt: 'Event', LogLevel: 3 });
    const err = await log.apply({ LogArt: 'File', LogFile: join(blocker, 'c.log'), LogLevel: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LogError);
    expect((err as LogError).code).toBe('log-file-unwritable');
    log.logger.info('still here');
    expect(out.messages).toEqual(['still here']);
    expect(log.settings.LogArt).toBe('Event');
  });

  it('refuses to start with an unwritable LogFile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-log-'));
    writeFileSync(join(dir, 'f'), 'x');
    await expect(createServiceLogger({ service: 'connector', settings: { LogArt: 'File', LogFile: join(dir, 'f', 'x.log'), LogLevel: 0 } })).rejects.toMatchObject({
      code: 'log-file-unwritable',
    });
  });
});

describe('LogArt = Event on Windows', () => {
  it('writes through eventcreate with the matching event type and falls back to stdout if it fails', async () => {
    const calls: string[][] = [];
    let failNext = false;
    const { log, out } = await make(
      { LogArt: 'Event', LogLevel: 3 },
      {
        platform: 'win32',
        eventCreate: async (args) => {
          calls.push([...args]);
          if (failNext) throw new Error('access denied');
        },
      },
    );
    log.logger.error({ line: 'h:25' }, 'boom');
    log.logger.warn('careful');
    log.logger.info('fine');
    await log.close();
    expect(calls.map((a) => a[a.indexOf('/T') + 1])).toEqual(['ERROR', 'WARNING', 'INFORMATION']);
    expect(calls[0]).toContain('CrmTapi connector');
    expect(calls[0]?.at(-1)).toBe('boom {"service":"connector","line":"h:25"}');
    expect(out.lines).toEqual([]);
    failNext = true;
    log.logger.error('lost?');
    await log.close();
    expect(out.messages).toEqual(['lost?']);
  });
});

describe('secrets never reach a log line', () => {
  const key = 'k3y-"with\\quotes"-0123456789';

  it('scrubs the connector key from messages, fields, nested objects and errors', async () => {
    const { log, out } = await make({ LogArt: 'Event', LogLevel: 6 }, { secrets: [key] });
    log.logger.info(`connecting with ${key}`);
    log.logger.info({ ConnectorKey: key, config: { ConnectorKey: key, LogLevel: 6 } }, 'config');
    log.logger.error({ err: new Error(`handshake refused for ${key}`) }, 'failed');
    log.logger.debug({ anything: { deep: { deeper: key } } }, 'deep');
    expect(out.lines).toHaveLength(4);
    for (const line of out.lines) expect(line).not.toContain('0123456789');
    expect(out.lines.join('\n')).toContain(REDACTED);
  });

  fcTest.prop([fc.string({ minLength: 16, maxLength: 40, unit: 'binary' }), fc.string({ maxLength: 30 }), fc.string({ maxLength: 30 })], { numRuns: 200 })(
    'for any key and any text around it',
    async (secret, before, after) => {
      const { log, out } = await make({ LogArt: 'Event', LogLevel: 3 }, { secrets: [secret] });
      log.logger.info({ detail: `${before}${secret}${after}` }, `${before}${secret}${after}`);
      const line = out.lines.join('\n');
      expect(line).not.toContain(secret);
      expect(line).not.toContain(JSON.stringify(secret).slice(1, -1));
      await log.close();
    },
  );
});
