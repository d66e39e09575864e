// Live reload through startConnector: real file edits, the watcher, the
// service logger and the service, against a fake manager.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../../simulator/pbx/clock.ts';
import { SimulatedPbx } from '../../../simulator/pbx/pbx.ts';
import { SimulatedLineProvider } from '../../../simulator/pbx/provider.ts';
import { startConnector, type RunningConnector } from '../../../src/connector/run.ts';
import { managerInRange, until } from '../support/fake-manager.ts';
import { KEY, LogCapture } from '../support/harness.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function body(port: number, extra: string): string {
  return `CRMTapiManagerServer = "127.0.0.1"\nCRMTapiManagerPort = ${port}\nConnectorKey = "${KEY}"\nConnectorHost = "reload.test"\n${extra}\n[Provider]\nKind = "simulator"\nLines = "20-21"\n`;
}

async function setup(extra: string) {
  const m = await managerInRange();
  cleanups.push(() => m.close());
  const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-reload-'));
  const path = join(dir, 'connector.toml');
  writeFileSync(path, body(m.port, extra));
  const out = new LogCapture();
  const pbx = new SimulatedPbx({ clock: new VirtualClock(), lines: ['20', '21'] });
  const running: RunningConnector = await startConnector({
    configPath: path,
    version: '0.1.0',
    stdout: out,
    watch: { debounceMs: 20, pollMs: 50 },
    createProvider: async () => ({ provider: new SimulatedLineProvider(pbx) }),
    service: { random: () => 0.5, reconnectBackoff: { baseMs: 10, capMs: 40 }, flushTimeoutMs: 500 },
  });
  cleanups.push(() => running.stop());
  return { m, dir, path, out, pbx, running, write: (extra2: string) => writeFileSync(path, body(m.port, extra2)) };
}

describe('live reload of the configuration', () => {
  it('applies LogLevel and RejectViaDisconnect at once, and says which keys need a restart', async () => {
    const { m, out, running, write } = await setup('LogLevel = 3');
    await m.waitFor(() => m.of('lines').length === 1);
    expect(running.config.LogLevel).toBe(3);
    write('LogLevel = 6\nRejectViaDisconnect = 1\nConnectionKeepAliveIntervall = 7\nIncludeMediaTypeVideo = 1\nNewInitTime = "4:00"');
    await until(() => running.config.LogLevel === 6, 5_000, 'reload');
    expect(running.config.RejectViaDisconnect).toBe(true);
    expect(running.service.stats.keepAliveSeconds).toBe(7);
    const messages = out.messages();
    expect(messages).toContain('restart needed for IncludeMediaTypeVideo');
    expect(messages).toContain('restart needed for NewInitTime');
    expect(messages).toContain('configuration reloaded');
    // Restart keys keep their running values.
    expect(running.config.IncludeMediaTypeVideo).toBe(false);
  });

  it('keeps the old values when an edit is invalid, and logs why', async () => {
    const { out, running, write } = await setup('LogLevel = 3');
    write('LogLevel = 9\nRejectViaDisconnect = 1');
    await until(() => out.messages().includes('configuration change not applied; the previous settings stay in force'), 5_000, 'the refusal');
    const refusal = out.records.find((r) => r.msg === 'configuration change not applied; the previous settings stay in force');
    expect(refusal?.problems).toEqual(['LogLevel: must be 0 (errors), 1 (+warnings), 3 (+information) or 6 (+details)']);
    expect(running.config.LogLevel).toBe(3);
    expect(running.config.RejectViaDisconnect).toBe(false);
  });

  it('moves the log to LogFile and back while running', async () => {
    const { dir, out, running, write } = await setup('LogLevel = 3');
    const file = join(dir, 'logs', 'connector.log');
    write(`LogLevel = 3\nLogArt = "File"\nLogFile = "logs/connector.log"`);
    await until(() => running.logging.destination === `file ${file}`, 5_000, 'file logging');
    running.logging.logger.info(`hello file ${KEY}`);
    write('LogLevel = 3');
    await until(() => running.logging.destination === 'stdout', 5_000, 'back to stdout');
    const logged = readdirSync(join(dir, 'logs'))
      .map((f) => readFileSync(join(dir, 'logs', f), 'utf8'))
      .join('');
    expect(logged).toContain('hello file [redacted]');
    expect(logged).not.toContain(KEY);
    expect(out.lines.join('\n')).not.toContain(KEY);
  });
});

describe('secrets in the log', () => {
  it('scrubs the health token an env:NAME names from every line (the value, not the reference)', async () => {
    const token = 'health-token-from-the-environment-7';
    process.env.CRM_TAPI_TEST_HEALTH_TOKEN = token;
    cleanups.push(async () => delete process.env.CRM_TAPI_TEST_HEALTH_TOKEN);
    const { out, running } = await setup('LogLevel = 3\nHealthToken = "env:CRM_TAPI_TEST_HEALTH_TOKEN"');
    running.logging.logger.warn(`a slip: ${token}`);
    await until(() => out.lines.some((l) => l.includes('a slip:')), 5_000, 'the line');
    expect(out.lines.join('\n')).toContain('a slip: [redacted]');
    expect(out.lines.join('\n')).not.toContain(token);
  });
});
