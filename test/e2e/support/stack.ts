// The whole bridge in one process on loopback, every port chosen by the OS:
// the simulated Dataverse (fixtures/crm seed), the real manager
// (startManager, with the real user side), a real connector service whose
// line provider is the simulated PBX on the wall clock (with its HTTP
// control endpoint), and helpers to act as an admin and as CRM users.
// docs/testing-e2e.md describes it. TEST-ONLY credentials from
// fixtures/crm/directory.json.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { WallClock } from '../../../simulator/pbx/clock.ts';
import { startControlServer, type ControlServer } from '../../../simulator/pbx/control-server.ts';
import { parseLineSpec } from '../../../simulator/pbx/lines.ts';
import { SimulatedPbx, type PbxTiming } from '../../../simulator/pbx/pbx.ts';
import { SimulatedLineProvider } from '../../../simulator/pbx/provider.ts';
import { validateConnectorConfig } from '../../../src/connector/config/load.ts';
import type { LineProvider, ProviderEvent } from '../../../src/connector/line-provider.ts';
import { ConnectorService } from '../../../src/connector/service.ts';
import { createSchema, LINE_CONFIG_KIND, lookupValue } from '../../../src/dataverse/schema.ts';
import { createUserSide, type UserSideOptions } from '../../../src/manager/clients/index.ts';
import { validateManagerConfig } from '../../../src/manager/config/load.ts';
import type { RoutedCallEvent } from '../../../src/manager/contracts.ts';
import { startManager, type RunningManager } from '../../../src/manager/manager.ts';
import { E2eClient } from './client.ts';
import { startImportedOrg } from './imported-org.ts';
import { CuttableLink } from './link.ts';
import { until, Waitable } from './wait.ts';
import { USERS, WebApiUser, type Row, type UserKey } from './webapi.ts';

const SERVICE = { sam: 'CONTOSO\\svc-crmtapi', password: 'Test-only-svc-crmtapi-1!' };
export const CONNECTOR_KEY = 'e2e-connector-key-5b1d0c9e7a';
export const HOST = 'e2e-pbx';

export interface StackOptions {
  /** Extensions of the simulated PBX (default 20-29). */
  lines?: string;
  huntGroups?: Record<string, string[]>;
  timing?: Partial<PbxTiming>;
  /** The connector's RejectViaDisconnect (default 0, the manual's default). */
  rejectViaDisconnect?: 0 | 1;
  /** Put a cuttable TCP relay between connector and manager. */
  relay?: boolean;
  userSide?: UserSideOptions;
  /** Further manager keys (as an operator writes them), e.g. shorter deadlines for the reliability suite. */
  managerKeys?: Record<string, unknown>;
  /** Starts the org instead of the seeded one (e.g. an org that got the solution by `crm-tapi solution import`). */
  dataverse?: () => Promise<SimulatedDataverse>;
  /**
   * Which org the default Dataverse is: `seeded` (fixtures/crm with the solution's tables and roles
   * already there) or `imported` (started without the solution, `crm-tapi solution import`, then set
   * up through the Web API). Default: the environment variable CRM_TAPI_E2E_ORG, else `seeded`.
   */
  org?: E2eOrg;
  /** The connector's line provider instead of the simulated PBX (e.g. real SIP phones); one per connector start. */
  provider?: () => LineProvider;
}

export type UserSide = ReturnType<typeof createUserSide>;

export interface Stack {
  /** The org the stack started on (`options.dataverse` counts as its own, reported as seeded unless it imported). */
  org: E2eOrg;
  dv: SimulatedDataverse;
  manager: RunningManager;
  userSide: UserSide;
  pbx: SimulatedPbx;
  control: ControlServer;
  connector(): ConnectorService;
  link: CuttableLink | undefined;
  /** Every call event the connector side handed to the user side, in order. */
  routed: Waitable<RoutedCallEvent>;
  /** Every event the simulated PBX emitted, in order. */
  pbxEvents: Waitable<ProviderEvent>;
  admin: WebApiUser;
  wsUrl: string;
  /** The CRM's origin: what a browser page of the CRM sends as Origin. */
  crmOrigin: string;
  logs: string[];
  line(extension: string): string;
  callKey(callId: string): string;
  user(key: UserKey): Promise<WebApiUser>;
  /** What an admin does: puts `user` on the line's auto-created record, or adds a record for a second user. */
  assign(extension: string, user: UserKey): Promise<string>;
  /** Edits the user line record(s) of a line as an admin (dialing or popup fields). */
  editLine(extension: string, fields: Row): Promise<void>;
  /** The manager's periodic entitlement refresh, now (instead of waiting its interval). */
  refreshEntitlements(): Promise<void>;
  open(name: string, origin?: string | null): Promise<E2eClient>;
  /** A browser tab of `user`: open, connect, prove; resolves after the welcome. */
  signIn(user: UserKey, name?: string): Promise<{ client: E2eClient; welcome: Awaited<ReturnType<E2eClient['prove']>> }>;
  /** Ends every call still active on the PBX and waits until the manager saw each go idle (test isolation). */
  endAllCalls(): Promise<void>;
  /** Stops the connector gracefully and starts a new connector process on the same PBX. */
  restartConnector(): Promise<void>;
  /** Starts a new connector process on the same PBX (after `connector().stop()`). */
  startConnector(): Promise<void>;
  stop(): Promise<void>;
}

export type E2eOrg = 'seeded' | 'imported';

/** The org of `options`, or of the run (CRM_TAPI_E2E_ORG, set by the e2e-imported vitest project). */
export function e2eOrg(options: StackOptions = {}): E2eOrg {
  const org = options.org ?? process.env.CRM_TAPI_E2E_ORG ?? 'seeded';
  if (org !== 'seeded' && org !== 'imported') throw new Error(`CRM_TAPI_E2E_ORG must be "seeded" or "imported", not "${org}"`);
  return org;
}

class MemorySink {
  constructor(readonly lines: string[]) {}
  write(chunk: string): void {
    if (this.lines.length < 20_000) this.lines.push(chunk.trimEnd());
    if (process.env.E2E_LOG !== undefined) process.stderr.write(chunk);
  }
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const closers: (() => Promise<unknown> | unknown)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const c of closers.splice(0).reverse()) {
      try {
        await c();
      } catch {
        // Keep closing the rest: a test must never leave sockets behind.
      }
    }
  };
  try {
    const logs: string[] = [];
    const logger: Logger = pino({ level: process.env.E2E_LOG ?? 'info' }, new MemorySink(logs));
    const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-e2e-'));
    closers.push(() => rmSync(dir, { recursive: true, force: true }));

    const org = e2eOrg(options);
    const dv = options.dataverse ? await options.dataverse() : org === 'imported' ? await startImportedOrg() : await startSimulatedDataverse({ port: 0 });
    closers.push(() => dv.close());

    const config = validateManagerConfig({
      CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmUsername: SERVICE.sam, CrmPassword: SERVICE.password,
      ConnectorKeys: [CONNECTOR_KEY], DataDir: join(dir, 'manager'), LogLevel: 6, CrmRetryMaxDelay: 1, TimeZone: 'Europe/Berlin', BindAddress: '127.0.0.1',
      ...options.managerKeys,
    }, 'e2e', { baseDir: dir });
    let userSide: UserSide | undefined;
    // The manual's port range is for operators; tests let the OS choose.
    const manager = await startManager({ ...config, CrmTapiPort: 0, CrmTapiWebSocketPort: 0 }, {
      logger: logger.child({ service: 'manager' }), version: '0.1.0-e2e', crmFirstDelayMs: 50,
      userSide: (context) => (userSide = createUserSide(context, { entitlementDebounceMs: 20, ...options.userSide })),
    });
    closers.push(() => manager.stop());
    if (userSide === undefined || manager.ports.webSocket === undefined) throw new Error('the manager started without its user side');
    const routed = new Waitable<RoutedCallEvent>();
    manager.connectorSide.onCallEvent((e) => routed.push(e));

    const link = options.relay ? await CuttableLink.start(manager.ports.tapi) : undefined;
    if (link) closers.push(() => link.close());

    const pbx = new SimulatedPbx({ clock: new WallClock(), lines: parseLineSpec(options.lines ?? '20-29'), ...(options.huntGroups ? { huntGroups: options.huntGroups } : {}), ...(options.timing ? { timing: options.timing } : {}) });
    closers.push(() => pbx.close());
    const pbxEvents = new Waitable<ProviderEvent>();
    pbx.subscribe((e) => pbxEvents.push(e));
    const control = await startControlServer(pbx, { port: 0 });
    closers.push(() => control.close());

    const connectorConfig = {
      ...validateConnectorConfig({
        CRMTapiManagerServer: '127.0.0.1', ConnectorKey: CONNECTOR_KEY, ConnectorHost: HOST, RejectViaDisconnect: options.rejectViaDisconnect ?? 0, LogLevel: 6,
        Provider: { Kind: 'simulator', Lines: options.lines ?? '20-29' },
      }, 'e2e', { baseDir: dir }),
      CRMTapiManagerPort: link?.port ?? manager.ports.tapi,
    };
    const newConnector = (): ConnectorService => new ConnectorService({
      config: connectorConfig, provider: options.provider?.() ?? new SimulatedLineProvider(pbx), logger: logger.child({ service: 'connector' }), version: '0.1.0-e2e',
      reconnectBackoff: { baseMs: 20, capMs: 100 }, reopenBackoff: { baseMs: 20, capMs: 100 }, flushTimeoutMs: 2_000,
    });
    let connector = newConnector();
    closers.push(() => connector.stop());
    await connector.start();

    const extensions = parseLineSpec(options.lines ?? '20-29');
    await until(() => manager.connectorSide.lines().filter((l) => l.connectorOnline).length === extensions.length, `the manager to hear the ${extensions.length} lines of the connector`);

    const schema = createSchema();
    const lc = schema.lineConfig;
    const f = lc.fields;
    const admin = await WebApiUser.signIn(dv, 'petra');
    const line = (ext: string): string => `${HOST}:${ext}`;
    const recordsOf = async (ext: string): Promise<Row[]> =>
      admin.list(lc.entitySet, `$select=${f.id},${lookupValue(f.user)},${lookupValue(f.parent)}&$filter=${f.line} eq '${line(ext)}' and ${f.kind} eq ${LINE_CONFIG_KIND.userLine}`);
    // The manager creates one user line record per reported line, in the background.
    await until(async () => (await Promise.all(extensions.map(recordsOf))).every((r) => r.length > 0), 'the manager to create a user line record for every line', 15_000);

    const users = new Map<UserKey, WebApiUser>([['petra', admin]]);
    const user = async (key: UserKey): Promise<WebApiUser> => {
      let u = users.get(key);
      if (u === undefined) users.set(key, (u = await WebApiUser.signIn(dv, key)));
      return u;
    };
    const side = userSide;
    const wsUrl = `ws://127.0.0.1:${manager.ports.webSocket}/`;
    const crmOrigin = new URL(dv.url).origin;
    const clients: E2eClient[] = [];
    closers.push(async () => {
      for (const c of clients) await c.close();
    });
    const open = async (name: string, origin: string | null = crmOrigin): Promise<E2eClient> => {
      const c = await E2eClient.open(wsUrl, name, origin ?? undefined);
      clients.push(c);
      return c;
    };

    const stack: Stack = {
      org: options.dataverse ? (dv.store.count('importjob') > 0 ? 'imported' : 'seeded') : org, dv, manager, userSide: side, pbx, control, link, routed, pbxEvents, admin, wsUrl, crmOrigin, logs, line,
      connector: () => connector,
      callKey: (callId) => `${HOST}/${callId}`,
      user,
      async assign(ext, key) {
        const records = await recordsOf(ext);
        const free = records.find((r) => r[lookupValue(f.user)] === null || r[lookupValue(f.user)] === undefined);
        const bind = { [`${f.user}@odata.bind`]: `/systemusers(${USERS[key].id})` };
        if (free !== undefined) {
          await admin.update(lc.entitySet, free[f.id] as string, bind);
          return free[f.id] as string;
        }
        // A second user on the same phone: another record for the line (the manual's shared line).
        const site = records[0]?.[lookupValue(f.parent)] as string;
        return admin.create(lc.entitySet, {
          [f.name]: `${line(ext)} (${USERS[key].name})`, [f.kind]: LINE_CONFIG_KIND.userLine, [f.line]: line(ext), [f.connectorHost]: HOST,
          [`${f.parent}@odata.bind`]: `/${lc.entitySet}(${site})`, ...bind,
        });
      },
      async editLine(ext, fields) {
        for (const r of await recordsOf(ext)) await admin.update(lc.entitySet, r[f.id] as string, fields);
      },
      refreshEntitlements: () => side.internals.entitlements.refresh(),
      open,
      async signIn(key, name = key) {
        const client = await open(name);
        const nonce = await client.connect();
        const welcome = await client.prove(await user(key), nonce);
        return { client, welcome };
      },
      async endAllCalls() {
        const active = pbx.activeCalls();
        for (const c of active) {
          try {
            pbx.drop(c.callId);
          } catch {
            // Already ended with another leg of its session.
          }
        }
        await Promise.all(active.map((c) => routed.wait((e) => e.callKey === `${HOST}/${c.callId}` && e.event.state === 'idle', `call ${c.callId} to end`)));
      },
      async restartConnector() {
        await connector.stop();
        connector = newConnector();
        await connector.start();
      },
      async startConnector() {
        connector = newConnector();
        await connector.start();
      },
      stop: stopAll,
    };
    return stack;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
