// The whole stack on one machine for `crm-tapi demo` and the browser tests:
// the simulated Dataverse with the fixtures/crm seed, the manager (config
// generated into a temp dir), a connector hosting the simulated PBX, demo
// users assigned to lines through the Web API as an admin would, and the
// built browser client. TEST-ONLY credentials from fixtures/crm/directory.json.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { ControllableClock, startSimulatedDataverse, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { startConnector, type ProviderFactory, type RunningConnector } from '../../connector/run.ts';
import { connect, type Connection } from '../../dataverse/connection.ts';
import { parseConnectionConfig } from '../../dataverse/connection-config.ts';
import { createSchema, LINE_CONFIG_KIND, lookupValue } from '../../dataverse/schema.ts';
import { createUserSide } from '../../manager/clients/index.ts';
import { validateManagerConfig, type ManagerConfig } from '../../manager/config/load.ts';
import { startManager, type RunningManager } from '../../manager/manager.ts';
import { CrmTapiError } from '../../protocol/errors.ts';
import { packageRoot } from '../../config/package-root.ts';
import { createProvider } from './connector.ts';

const ROOT = packageRoot();
export const DEMO_SEED_DIR = join(ROOT, 'fixtures', 'crm');
const SERVICE = { sam: 'CONTOSO\\svc-crmtapi', password: 'Test-only-svc-crmtapi-1!' };
const ADMIN = { sam: 'CONTOSO\\phoffmann', password: 'Test-only-phoffmann-1!' };
const SOFTPHONE_CLIENT_ID = 'ea2e1e20-6fd5-5299-a57b-92aeba18032e';
export const CONNECTOR_HOST = 'demo-pbx';

export const DEMO_USERS = {
  emily: { id: '88d46489-4802-518e-a6a0-6dd1115ade35', upn: 'emily.carter@contoso-sim.onmicrosoft.com', name: 'Emily Carter', sam: 'CONTOSO\\ecarter', password: 'Test-only-ecarter-1!' },
  jens: { id: '695e5427-3797-544a-a129-a55d693f7753', upn: 'jens.wagner@contoso-sim.onmicrosoft.com', name: 'Jens Wagner', sam: 'CONTOSO\\jwagner', password: 'Test-only-jwagner-1!' },
  anna: { id: 'f16c8d43-0882-59e2-a842-5fbc915a2aa0', upn: 'anna.schmidt@contoso-sim.onmicrosoft.com', name: 'Anna Schmidt', sam: 'CONTOSO\\aschmidt', password: 'Test-only-aschmidt-1!' },
} as const;
export type DemoUser = keyof typeof DEMO_USERS;

/** Who sits on which extension: Emily on 21, Emily and Jens share 22, Anna (German UI) on 23. */
export const DEMO_ASSIGNMENTS: readonly { line: string; users: readonly DemoUser[] }[] = [
  { line: '21', users: ['emily'] },
  { line: '22', users: ['emily', 'jens'] },
  { line: '23', users: ['anna'] },
];
/** The scenarios in fixtures/scenarios use extensions 20–29. */
export const DEMO_LINES = ['20-29'];
/** A seeded contact whose number no other record has, and how the PBX presents it. */
export const DEMO_CALLER = { number: '+44 20 7946 0321', name: 'Charlotte Brown' };

export class DemoError extends CrmTapiError {
  constructor(
    readonly code: 'demo-port-unavailable' | 'demo-start-failed',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface DemoStackOptions {
  /** WebSocket port of the manager (0 = a free one). */
  webSocketPort?: number;
  /** Control endpoint of the simulated PBX (0 = a free one; the CLI's default is what `simulate call` expects). */
  controlPort?: number;
  logLevel?: string;
  /** Further browser origins the manager accepts (e.g. a test page standing in for Dynamics). */
  allowedOrigins?: string[];
  /** Where the manager, connector and Dataverse keep their files (default: a new temp dir, removed on stop). */
  dir?: string;
  /** The connector's `[Provider]` table instead of the simulated PBX (the lab: `Kind = "sip"`). */
  provider?: Record<string, unknown>;
  /** Builds the connector's provider instead of the CLI's factory (replay through the stack holds its events until the stack is ready). */
  createProvider?: ProviderFactory;
  /** Who sits on which line (default DEMO_ASSIGNMENTS). */
  assignments?: readonly { line: string; users: readonly DemoUser[] }[];
  /** The connector's wall clock for event timestamps (replay through the stack stamps with the recording's time). */
  connectorNow?: () => number;
}

export interface DemoStack {
  dv: SimulatedDataverse;
  manager(): RunningManager;
  connector: RunningConnector;
  dir: string;
  managerOrigin: string;
  webSocketUrl: string;
  controlUrl: string;
  /** The panel URL that signs `user` in at once (login hint). */
  panelUrl(user: DemoUser): string;
  /** Full line name of an extension, e.g. `demo-pbx:21`. */
  line(extension: string): string;
  stopManager(): Promise<void>;
  startManager(): Promise<void>;
  stop(): Promise<void>;
}

async function portFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const a = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (a === null || typeof a === 'string') throw new DemoError('demo-port-unavailable', 'no free loopback port');
  return a.port;
}

/** The connector accepts only the manual's TAPI port range 4502–4534: take a free one of those. */
async function freeTapiPort(): Promise<number> {
  for (let p = 4502; p <= 4534; p += 1) if (await portFree(p)) return p;
  throw new DemoError('demo-port-unavailable', 'every TAPI port 4502–4534 on 127.0.0.1 is taken');
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new DemoError('demo-start-failed', `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startDemoStack(o: DemoStackOptions = {}): Promise<DemoStack> {
  const ownDir = o.dir === undefined;
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'crm-tapi-demo-'));
  const closers: (() => Promise<unknown>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };
  const assignments = o.assignments ?? DEMO_ASSIGNMENTS;
  try {
    const dvClock = new ControllableClock();
    const dv = await startSimulatedDataverse({ seedDir: DEMO_SEED_DIR, port: 0, clock: dvClock });
    closers.push(() => dv.close());
    const wsPort = o.webSocketPort || (await freePort());
    const tapiPort = await freeTapiPort();
    const managerOrigin = `http://127.0.0.1:${wsPort}`;
    const connectorKey = randomBytes(24).toString('base64url');
    const raw = {
      CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmUsername: SERVICE.sam, CrmPassword: SERVICE.password,
      ConnectorKeys: [connectorKey], DataDir: join(dir, 'manager'), LogLevel: 3, CrmRetryMaxDelay: 2,
      BindAddress: '127.0.0.1', CrmTapiPort: tapiPort, CrmTapiWebSocketPort: wsPort,
      AllowedOrigins: [managerOrigin, new URL(dv.url).origin, ...(o.allowedOrigins ?? [])],
    };
    writeFileSync(join(dir, 'manager.json'), `${JSON.stringify({ ...raw, CrmPassword: 'env:CRM_TAPI_DEMO_UNUSED' }, null, 2)}\n`);
    const config: ManagerConfig = validateManagerConfig(raw, 'demo', { baseDir: dir });
    const logger = pino({ level: o.logLevel ?? 'info' }, pino.destination({ dest: join(dir, 'manager.log'), sync: true }));
    let manager: RunningManager | undefined;
    let side: ReturnType<typeof createUserSide> | undefined;
    const startMgr = async (): Promise<void> => {
      // Entitlements re-read every 2 s, so a line assigned in the CRM shows at once in the demo.
      manager = await startManager(config, {
        logger, version: 'demo', crmFirstDelayMs: 200,
        userSide: (ctx) => (side = createUserSide(ctx, { entitlementRefreshMs: 2_000, entitlementDebounceMs: 50 })),
      });
    };
    /** Resolves when the manager routes every demo line to its users. */
    const entitled = (): Promise<true> => until('the manager to see the demo users on their lines', async () => {
      const table = side?.internals.entitlements.table;
      return table !== undefined && assignments.every((a) => a.users.every((u) => table.usersOf(`${CONNECTOR_HOST}:${a.line}`).includes(DEMO_USERS[u].id))) ? true : undefined;
    });
    await startMgr();
    closers.push(async () => manager?.stop());

    const controlPort = o.controlPort || (await freePort());
    const connectorPath = join(dir, 'connector.json');
    writeFileSync(connectorPath, `${JSON.stringify({
      CRMTapiManagerServer: '127.0.0.1', CRMTapiManagerPort: tapiPort, ConnectorKey: connectorKey, ConnectorHost: CONNECTOR_HOST,
      RejectViaDisconnect: 1, LogArt: 'File', LogFile: join(dir, 'connector.log'), LogLevel: 3,
      Provider: o.provider ?? { Kind: 'simulator', Lines: DEMO_LINES.join(','), ControlPort: controlPort },
    }, null, 2)}\n`);
    const controlUrl = `http://127.0.0.1:${controlPort}`;
    const connector = await startConnector({ configPath: connectorPath, version: 'demo', createProvider: o.createProvider ?? createProvider, ...(o.connectorNow ? { service: { now: o.connectorNow } } : {}) });
    closers.push(() => connector.stop());

    const cfg = (sam: string, password: string) => parseConnectionConfig({ CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmUsername: sam, CrmPassword: password }, 'demo');
    const admin: Connection = await connect(cfg(ADMIN.sam, ADMIN.password));
    closers.push(() => admin.client.close());
    const schema = createSchema();
    const f = schema.lineConfig.fields;
    const line = (ext: string): string => `${CONNECTOR_HOST}:${ext}`;
    // The manager creates one user line record per reported line; wait for them.
    const records = await until('the manager to create the line records', async () => {
      const page = await admin.client.list<Record<string, unknown>>(schema.lineConfig.entitySet, { select: [f.id, f.line, f.kind, lookupValue(f.user), lookupValue(f.parent)], filter: `${f.kind} eq ${LINE_CONFIG_KIND.userLine}` });
      const rows = page.filter((r) => typeof r[f.line] === 'string' && (r[f.line] as string).startsWith(`${CONNECTOR_HOST}:`));
      return assignments.every((a) => rows.some((r) => r[f.line] === line(a.line))) ? rows : undefined;
    });
    const site = records[0]?.[lookupValue(f.parent)];
    const defaults = await admin.client.list<Record<string, unknown>>(schema.lineConfig.entitySet, { select: [f.id], filter: `${f.kind} eq ${LINE_CONFIG_KIND.default}` });
    const webSocketUrl = `ws://127.0.0.1:${wsPort}/`;
    for (const d of defaults) await admin.client.update(schema.lineConfig.entitySet, d[f.id] as string, { [f.webSocketUrl]: webSocketUrl });
    for (const a of assignments) {
      const record = records.find((r) => r[f.line] === line(a.line));
      for (const [i, user] of a.users.entries()) {
        const bind = { [`${f.user}@odata.bind`]: `/systemusers(${DEMO_USERS[user].id})`, [`ownerid@odata.bind`]: `/systemusers(${DEMO_USERS[user].id})` };
        if (i === 0 && record !== undefined) await admin.client.update(schema.lineConfig.entitySet, record[f.id] as string, bind);
        else {
          // A second user on the same line: another record for that line, as the manual describes for shared phones.
          // A call nobody answered is filed under the line's oldest record, and createdon has whole seconds:
          // the simulator's clock moves on a second so the user added later is later, not tied by chance.
          dvClock.advance(1_000);
          await admin.client.create(schema.lineConfig.entitySet, {
            [f.name]: line(a.line), [f.kind]: LINE_CONFIG_KIND.userLine, [f.line]: line(a.line), [f.connectorHost]: CONNECTOR_HOST,
            ...(typeof site === 'string' ? { [`${f.parent}@odata.bind`]: `/${schema.lineConfig.entitySet}(${site})` } : {}), ...bind,
          });
        }
      }
    }
    // Read the assignments just written now rather than at the next periodic refresh (up to 2 s, most of
    // the start-up time); if this read fails, the periodic one still comes and entitled() waits for it.
    await side?.internals.entitlements.refresh().catch(() => undefined);
    await entitled();
    const authority = `${dv.url}/${dv.directory.tenantId}`;
    return {
      dv, connector, dir, managerOrigin, webSocketUrl, controlUrl,
      manager: () => manager as RunningManager,
      line,
      panelUrl: (user) => `${managerOrigin}/panel/?${new URLSearchParams({ dataverse: dv.url, authority, clientId: SOFTPHONE_CLIENT_ID, login_hint: DEMO_USERS[user].upn }).toString()}`,
      stopManager: async () => {
        await manager?.stop();
        manager = undefined;
      },
      startManager: async () => {
        await startMgr();
        await entitled();
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
