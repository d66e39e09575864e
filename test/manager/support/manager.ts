// A whole manager against the simulated Dataverse on a real port: config as
// an operator writes it (validated), then the test-only overrides that let
// it listen on free ports and notice silence quickly.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { validateManagerConfig, type ManagerConfig } from '../../../src/manager/config/load.ts';
import { startManager, type ManagerDeps, type RunningManager } from '../../../src/manager/manager.ts';
import { LogCapture } from './gateway.ts';

export const SERVICE = { sam: 'CONTOSO\\svc-crmtapi', password: 'Test-only-svc-crmtapi-1!' };
export const CONNECTOR_KEY = 'harness-connector-key-7f3a9c';

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
