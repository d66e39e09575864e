// Our own manager as the implementation under test, composed as the CLI
// composes it (startManager with its default user side) on loopback ports
// chosen by the OS, with the simulated Dataverse. Keep-alive shortened by
// configuration (1 s interval, 0.5 s grace). The CRM is prepared as an
// integrator would: line `conformance:701` is assigned to Emily, whose
// TEST-ONLY credentials (fixtures/crm) the suite uses to prove itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { DataverseProver, ManagerContext, type ManagerTarget } from '../../../src/conformance/index.ts';
import { createSchema, LINE_CONFIG_KIND } from '../../../src/dataverse/schema.ts';
import { validateManagerConfig } from '../../../src/manager/config/load.ts';
import { startManager, type RunningManager } from '../../../src/manager/manager.ts';
import { USERS, WebApiUser } from '../../e2e/support/webapi.ts';

export const ROPC_CLIENT_ID = '51f81489-12ee-4a9e-aaae-a2591f45987d';
const SERVICE = { sam: 'CONTOSO\\svc-crmtapi', password: 'Test-only-svc-crmtapi-1!' };
export const CONNECTOR_KEY = 'conformance-key-3f9c1b7e2d';
export const HOST = 'conformance';

export interface ManagerWorld {
  dv: SimulatedDataverse;
  manager: RunningManager;
  target: ManagerTarget;
  logs: string[];
  stop(): Promise<void>;
}

export async function startManagerWorld(): Promise<ManagerWorld> {
  const closers: (() => Promise<unknown> | unknown)[] = [];
  const stop = async (): Promise<void> => {
    for (const c of closers.splice(0).reverse()) await Promise.resolve().then(c).catch(() => undefined);
  };
  try {
    const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-conformance-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));
    const dv = await startSimulatedDataverse({ port: 0 });
    closers.push(() => dv.close());
    const logs: string[] = [];
    const logger = pino({ level: process.env.TEST_LOG ?? 'info' }, { write: (s: string) => void (logs.length < 20_000 && logs.push(s.trimEnd())) });
    const config = validateManagerConfig({
      CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmUsername: SERVICE.sam, CrmPassword: SERVICE.password,
      ConnectorKeys: [CONNECTOR_KEY], DataDir: join(dir, 'manager'), LogLevel: 6, CrmRetryMaxDelay: 1, BindAddress: '127.0.0.1',
      ConnectionKeepAliveIntervall: 1,
      // The call-control cases' transfer and consult targets take the dial path and its rate limit (§7.7).
      DialBurst: 50,
    }, 'conformance', { baseDir: dir });
    const manager = await startManager({ ...config, CrmTapiPort: 0, CrmTapiWebSocketPort: 0 }, {
      logger, version: '0.1.0-conformance', crmFirstDelayMs: 50, gateway: { keepAliveGraceMs: 500 },
    });
    closers.push(() => manager.stop());

    // What an integrator does once in the CRM: a user line record for conformance:701 assigned to Emily.
    const schema = createSchema();
    const lc = schema.lineConfig;
    const f = lc.fields;
    const admin = await WebApiUser.signIn(dv, 'petra');
    const sites = await admin.list(lc.entitySet, `$select=${f.id}&$filter=${f.kind} eq ${LINE_CONFIG_KIND.site}`);
    const site = sites[0]?.[f.id] as string | undefined;
    if (site === undefined) throw new Error('the manager created no site record');
    await admin.create(lc.entitySet, {
      [f.name]: `${HOST}:701 (${USERS.emily.name})`, [f.kind]: LINE_CONFIG_KIND.userLine, [f.line]: `${HOST}:701`, [f.connectorHost]: HOST,
      [`${f.parent}@odata.bind`]: `/${lc.entitySet}(${site})`, [`${f.user}@odata.bind`]: `/systemusers(${USERS.emily.id})`,
    });
    const userSide = manager.userSide as unknown as { internals?: { entitlements: { refresh(): Promise<void> } } };
    await userSide.internals?.entitlements.refresh();

    const target: ManagerTarget = {
      tcpHost: '127.0.0.1', tcpPort: manager.ports.tapi, wsUrl: `ws://127.0.0.1:${manager.ports.webSocket ?? 0}/`, connectorKey: CONNECTOR_KEY,
      origin: new URL(dv.url).origin, connectorHost: HOST, lines: ['701', '702'],
      prover: new DataverseProver({ webApiUrl: dv.orgWebApiUrl, tokenUrl: dv.tokenUrl, clientId: ROPC_CLIENT_ID, username: USERS.emily.upn, password: USERS.emily.password }),
      replyMs: 5_000, quietMs: 500, keepAliveGraceSeconds: 0.5,
    };
    return { dv, manager, target, logs, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export function freshContext(target: ManagerTarget): ManagerContext {
  return new ManagerContext(target);
}
