// `crm-tapi connector` as operators run it: a child process, a configuration
// file, a (fake) manager on the manual's port range, SIGTERM to stop.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { main } from '../../../src/cli/main.ts';
import { managerInRange as inRange, type FakeManager } from '../support/fake-manager.ts';

const BIN = new URL('../../../bin/crm-tapi.js', import.meta.url).pathname;
const KEY = 'cli-test-connector-key-5e1d0b';
const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-conn-cli-'));

interface Run {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exit: Promise<number | null>;
}

function start(args: string[]): Run {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const run: Run = { child, stdout: [], stderr: [], exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
  child.stdout?.setEncoding('utf8').on('data', (d: string) => run.stdout.push(d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => run.stderr.push(d));
  return run;
}

const children: ChildProcess[] = [];
const managers: FakeManager[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.pid !== undefined) c.kill('SIGKILL');
  for (const m of managers.splice(0)) await m.close();
});

async function managerInRange(): Promise<FakeManager> {
  const m = await inRange();
  managers.push(m);
  return m;
}

/** Runs the CLI in this process (fast) and captures what it prints. */
async function cli(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
  try {
    const status = await main(['node', 'crm-tapi', ...args]);
    return { status, stdout: out.join(''), stderr: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

function writeConfig(name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

describe('crm-tapi connector', () => {
  it('--check-config prints a summary and exits 0', async () => {
    const path = writeConfig('ok.toml', `CRMTapiManagerServer = "mgr.example"\nConnectorKey = "${KEY}"\n[Provider]\nKind = "simulator"\nLines = "20-24"\n`);
    const run = await cli(['connector', '--config', path, '--check-config']);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^ok: manager mgr\.example:4505, host .+, provider simulator, 5 lines, LogArt Event, LogLevel 0\n$/);
  });

  it('--check-config lists every bad key and exits 2', async () => {
    const path = writeConfig('bad.json', JSON.stringify({ CRMTapiManagerServer: 'a b', CRMTapiManagerPort: 80, ConnectorKey: 'short', LogArt: 'File', Provider: { Kind: 'isdn' } }));
    const run = await cli(['connector', '--config', path, '--check-config']);
    expect(run.status).toBe(2);
    const err = run.stderr;
    expect(err).toMatch(/^error: config-invalid: .*bad\.json: 5 invalid setting\(s\):/);
    for (const key of ['CRMTapiManagerServer', 'CRMTapiManagerPort', 'ConnectorKey', 'Provider.Kind', 'LogFile']) expect(err).toContain(`\n  ${key}: `);
    expect(err).not.toContain('short');
  });

  it('a missing file is a configuration error', async () => {
    const run = await cli(['connector', '--config', join(dir, 'nope.toml')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^error: config-not-found: /);
  });

  it('runs, rings a line through the in-process PBX, and stops on SIGTERM with exit 0', async () => {
    const m = await managerInRange();
    const path = writeConfig(
      'run.toml',
      `CRMTapiManagerServer = "127.0.0.1"\nCRMTapiManagerPort = ${m.port}\nConnectorKey = "${KEY}"\nConnectorHost = "cli.test"\nLogLevel = 6\n[Provider]\nKind = "simulator"\nLines = "20-22"\nControlPort = 0\n`,
    );
    const run = start(['connector', '--config', path]);
    children.push(run.child);
    await m.waitFor(() => m.of('lines').length === 1, 15_000, 'lines from the CLI connector');
    expect(m.registrations[0]).toMatchObject({ host: 'cli.test', connectorKey: KEY });
    expect(m.of('lines')[0]?.lines.map((l) => l.name)).toEqual(['20', '21', '22']);

    const control = run.stdout
      .join('')
      .split('\n')
      .map((l) => (l.startsWith('{') ? (JSON.parse(l) as { control?: string }) : {}))
      .find((r) => r.control !== undefined)?.control;
    expect(control).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${control}/calls`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ from: '+49 30 1234567', to: '21' }) });
    expect(res.status).toBe(201);
    await m.waitFor(() => m.of('callState').some((c) => c.line === '21' && c.state === 'offering'), 10_000, 'the ringing call');

    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    const out = run.stdout.join('');
    expect(out).toContain('"msg":"stop requested"');
    expect(out).toContain('stopped; every event was acknowledged');
    expect(out).not.toContain(KEY);
    await m.waitFor(() => m.sockets.size === 0, 5_000, 'the connection closed');
  });
});

describe('crm-tapi connector health endpoint', () => {
  it('serves /healthz, /readyz (ready once registered) and /metrics with the buffer, link and provider figures', async () => {
    const m = await managerInRange();
    const health = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const token = 'connector-health-token-3a9f7e';
    const path = writeConfig(
      'health.toml',
      `CRMTapiManagerServer = "127.0.0.1"\nCRMTapiManagerPort = ${m.port}\nConnectorKey = "${KEY}"\nConnectorHost = "cli.test"\nHealthPort = ${health}\nHealthToken = "${token}"\n[Provider]\nKind = "simulator"\nLines = "20-22"\nControlPort = 0\n`,
    );
    const run = start(['connector', '--config', path]);
    children.push(run.child);
    await m.waitFor(() => m.of('lines').length === 1, 60_000, 'lines from the CLI connector');
    const url = `http://127.0.0.1:${health}`;
    const auth = { headers: { Authorization: `Bearer ${token}` } };
    await vi.waitFor(async () => expect((await fetch(`${url}/healthz`)).status).toBe(200), { timeout: 10_000, interval: 100 });
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    const ready = await fetch(`${url}/readyz`, auth);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: [{ name: 'manager', state: 'ok' }, { name: 'provider', state: 'ok', detail: '3 line(s)' }] });
    const text = await (await fetch(`${url}/metrics`, auth)).text();
    expect(text).toMatch(/^crm_tapi_connector_link\{state="ready",service="connector"\} 1$/m);
    expect(text).toMatch(/^crm_tapi_connector_lines\{service="connector"\} 3$/m);
    expect(text).toMatch(/^crm_tapi_connector_buffer_capacity\{service="connector"\} \d+$/m);
    for (const name of ['crm_tapi_connector_buffer_events', 'crm_tapi_connector_events_lost_total', 'crm_tapi_connector_provider_up', 'crm_tapi_connector_unsent_bytes', 'nodejs_eventloop_lag_p99_seconds']) expect(text).toContain(name);
    await m.close();
    await vi.waitFor(async () => expect((await fetch(`${url}/readyz`, auth)).status).toBe(503), { timeout: 10_000, interval: 100 });
    const down = (await (await fetch(`${url}/readyz`, auth)).json()) as { reasons: string[] };
    expect(down.reasons[0]).toMatch(/^manager: the link to the manager is (connecting|registering|idle)$/);
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(run.stdout.join('')).not.toContain(token);
  }, 120_000);
});
