// A whole manager against the simulated Dataverse on a real port: config as
// an operator writes it (validated), then the test-only overrides that let
// it listen on free ports and notice silence quickly.
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { validateManagerConfig, type ManagerConfig } from '../../../src/manager/config/load.ts';
import { startManager, type ManagerDeps, type RunningManager } from '../../../src/manager/manager.ts';
import { LogCapture } from './gateway.ts';

export const SERVICE = { sam: 'CONTOSO\\svc-crmtapi', password: 'Test-only-svc-crmtapi-1!' };
export const CONNECTOR_KEY = 'harness-connector-key-7f3a9c';

/** A free loopback port (for a server that must start later on a known port). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A free port inside the manual's TAPI range 4502–4534 (the CLI validates it). */
export async function freeTapiPort(): Promise<number> {
  // A random start: test files running in parallel rarely race for the same port of this small range.
  const start = 4502 + Math.floor(Math.random() * 33);
  for (let i = 0; i < 33; i += 1) {
    const port = 4502 + ((start - 4502 + i) % 33);
    const server = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      return port;
    }
  }
  throw new Error('no free port in 4502–4534');
}

export function managerConfig(crmUrl: string, extra: Record<string, unknown> = {}, dataDir = mkdtempSync(join(tmpdir(), 'crm-tapi-manager-'))): ManagerConfig {
  const config = validateManagerConfig(
    {
      CrmType: 'OnPremise', CrmServer: crmUrl, CrmOrganisation: 'contoso', CrmUsername: SERVICE.sam, CrmPassword: SERVICE.password,
      ConnectorKeys: [CONNECTOR_KEY], DataDir: dataDir, LogLevel: 6, CrmRetryMaxDelay: 1, TimeZone: 'Europe/Berlin', ...extra,
    },
    'test',
    { baseDir: dataDir },
  );
  // The manual's port range is for operators; tests take any free port.
  return { ...config, CrmTapiPort: 0, CrmTapiWebSocketPort: 0 };
}

export interface StartedManager {
  manager: RunningManager;
  logs: LogCapture;
}

export async function runManager(config: ManagerConfig, deps: Partial<ManagerDeps> = {}, logs = new LogCapture()): Promise<StartedManager> {
  const manager = await startManager(config, { logger: pino({ level: 'debug' }, logs), crmFirstDelayMs: 50, version: '0.1.0-test', ...deps });
  return { manager, logs };
}

export function crmUrl(dv: SimulatedDataverse): string {
  return dv.url;
}
