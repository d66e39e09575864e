// Our own connector as the implementation under test, started as the CLI
// starts it (startConnector with the CLI's provider factory: the simulated
// PBX with its HTTP control endpoint), pointed at the suite's port. The
// connector only dials the manual's TAPI ports 4502–4534, so the suite (or a
// relay in front of it) takes a free one of those. Back-off shortened by
// configuration. The ring hook rings a line through the control endpoint and
// hangs up shortly after, as `crm-tapi simulate call` would.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createProvider } from '../../../src/cli/commands/connector.ts';
import { startConnector, type RunningConnector } from '../../../src/connector/run.ts';
import { freePort } from '../../support/ports.ts';

export const CONNECTOR_KEY = 'conformance-connector-key-8d2e';

export interface ConnectorWorld {
  connector: RunningConnector;
  controlUrl: string;
  /** The ring hook as a function (the CLI test passes the shell command instead). */
  ring(env: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

export async function startConnectorWorld(managerPort: number, lines = '701-703'): Promise<ConnectorWorld> {
  const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-conformance-connector-'));
  const controlPort = await freePort();
  const path = join(dir, 'connector.json');
  writeFileSync(path, `${JSON.stringify({
    CRMTapiManagerServer: '127.0.0.1', CRMTapiManagerPort: managerPort, ConnectorKey: CONNECTOR_KEY, ConnectorHost: 'conformance-pbx',
    LogArt: 'File', LogFile: join(dir, 'connector.log'), LogLevel: 3, Provider: { Kind: 'simulator', Lines: lines, ControlPort: controlPort },
  }, null, 2)}\n`);
  const connector = await startConnector({
    configPath: path, createProvider, version: '0.1.0-conformance',
    service: { reconnectBackoff: { baseMs: 20, capMs: 100 }, reopenBackoff: { baseMs: 20, capMs: 100 }, flushTimeoutMs: 500 },
  });
  const controlUrl = `http://127.0.0.1:${controlPort}`;
  return {
    connector, controlUrl,
    async ring(env) {
      const res = await fetch(`${controlUrl}/calls`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ from: env.CONFORMANCE_FROM, to: env.CONFORMANCE_LINE }) });
      const body = (await res.json()) as { session?: string; outcome?: string };
      if (!res.ok || body.outcome !== 'ringing') throw new Error(`line ${env.CONFORMANCE_LINE} did not ring: ${res.status} ${body.outcome ?? ''}`);
      setTimeout(() => void fetch(`${controlUrl}/sessions/${body.session}/remote-hangup`, { method: 'POST' }).catch(() => undefined), 150);
    },
    async stop() {
      await connector.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
