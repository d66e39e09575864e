// Break 7 of issue 11: file logging was buffered (minutes without a line;
// the last lines gone after a SIGKILL), `LogFile = logs/manager.log` wrote
// `logs/manager.1.log`, and the connector's start line named a file it did
// not write. Warnings and errors are now on disk when the logging call
// returns, and the log is at exactly the path LogFile names. The same for
// `crm-tapi manager` itself: hostile-preupgrade.test.ts (one manager process for both).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createServiceLogger, rotatedName } from '../../src/logging/index.ts';
import { openFileTarget } from '../../src/logging/targets.ts';
import { CONNECTOR_KEY } from './support/edge-manager-process.ts';
import { freeTapiPort } from '../support/ports.ts';
import { sleep } from './support/edge-attacker.ts';

const CHILD = new URL('./support/edge-log-child.ts', import.meta.url).pathname;

async function waitForFile(file: string, text: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const content = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (content.includes(text)) return content;
    if (Date.now() > deadline) throw new Error(`no "${text}" in ${file} within ${timeoutMs} ms; directory: ${readdirSync(join(file, '..')).join(', ')}`);
    await sleep(50);
  }
}

describe('log lines survive a crash and are where LogFile says (break 7)', () => {
  it('a warning logged right before SIGKILL is in the file, after every info line before it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-log-kill-'));
    const file = join(dir, 'logs', 'manager.log');
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('warned') && resolve());
      child.once('exit', () => reject(new Error('the child exited before warning')));
    });
    child.kill('SIGKILL');
    await exited;
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as { msg: string; i?: number; marker?: string });
    expect(lines.at(-1)).toMatchObject({ marker: 'last-words' });
    expect(lines.filter((l) => l.msg === 'info before the warning').map((l) => l.i)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(readdirSync(join(dir, 'logs'))).toEqual(['manager.log']);
  }, 30_000);

  it('info lines reach the file within a fraction of a second, not minutes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-log-'));
    const file = join(dir, 'connector.log');
    const service = await createServiceLogger({ service: 'connector', settings: { LogArt: 'File', LogFile: file, LogLevel: 3 } });
    service.logger.info('quiet line');
    await waitForFile(file, 'quiet line', 2_000);
    await service.close();
  });

  it('rotation keeps the named path current and moves older files to numbered names', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-log-rot-'));
    const file = join(dir, 'manager.log');
    const target = await openFileTarget(file, { maxBytes: 200, keep: 2, flushMs: 10 });
    for (let i = 0; i < 8; i += 1) target.write(`{"level":40,"n":${i},"pad":"${'x'.repeat(80)}"}\n`);
    await target.close();
    expect(readdirSync(dir).sort()).toEqual(['manager.1.log', 'manager.2.log', 'manager.log']);
    expect(readFileSync(file, 'utf8')).toContain('"n":7');
    expect(readFileSync(rotatedName(file, 1), 'utf8')).toContain('"n":6');
    expect(readFileSync(rotatedName(file, 2), 'utf8')).toContain('"n":5');
  });

  it('a new day starts a new file at the named path (local date)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-log-day-'));
    const file = join(dir, 'connector.log');
    let today = new Date(2026, 2, 28, 23, 59);
    const target = await openFileTarget(file, { maxBytes: 10 * 1024 * 1024, keep: 14, flushMs: 10 }, () => today);
    target.write('{"level":40,"msg":"before midnight"}\n');
    today = new Date(2026, 2, 29, 0, 1);
    target.write('{"level":40,"msg":"after midnight"}\n');
    await target.close();
    expect(readFileSync(file, 'utf8')).toBe('{"level":40,"msg":"after midnight"}\n');
    expect(readFileSync(rotatedName(file, 1), 'utf8')).toBe('{"level":40,"msg":"before midnight"}\n');
  });

  it('the connector\'s start line names the file it writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-log-conn-'));
    const config = join(dir, 'connector.toml');
    writeFileSync(config, [
      // A port nobody listens on: the connector only has to start and log.
      'CRMTapiManagerServer = "127.0.0.1"', `CRMTapiManagerPort = ${await freeTapiPort()}`, `ConnectorKey = "${CONNECTOR_KEY}"`, 'ConnectorHost = "pbx.test"',
      'LogArt = "File"', 'LogFile = "logs/connector.log"', 'LogLevel = 3', '[Provider]', 'Kind = "simulator"', 'Lines = "20-21"',
    ].join('\n'));
    const child = spawn(process.execPath, ['bin/crm-tapi.js', 'connector', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      const file = join(dir, 'logs', 'connector.log');
      const content = await waitForFile(file, 'connector starting');
      expect(`${out}${content}`).toContain(file);
      expect(readdirSync(join(dir, 'logs'))).toEqual(['connector.log']);
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  }, 60_000);
});
