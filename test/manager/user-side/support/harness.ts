// The user side against the real simulated Dataverse (over HTTP), a real
// SQLite outbox, the real phone directory and a fake connector side.
// TEST-ONLY credentials from fixtures/crm/directory.json.
import { DEFAULTS } from '../../../../src/manager/config/keys.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../../../simulator/dataverse/index.ts';
import { connect, type Connection } from '../../../../src/dataverse/connection.ts';
import { parseConnectionConfig } from '../../../../src/dataverse/connection-config.ts';
import { DataverseDirectorySource } from '../../../../src/dataverse/directory/dataverse-source.ts';
import { dialingKeys } from '../../../../src/dataverse/directory/dialing-keys.ts';
import { PhoneDirectory } from '../../../../src/dataverse/directory/directory.ts';
import { DEFAULT_PHONE_FIELDS } from '../../../../src/dataverse/directory/phone-fields.ts';
import { Outbox } from '../../../../src/dataverse/outbox/outbox.ts';
import { SqliteOutboxStore } from '../../../../src/dataverse/outbox/sqlite-store.ts';
import { dataverseTransport } from '../../../../src/dataverse/outbox/transport.ts';
import { createRepositories, type LineConfigRecord, type Repositories } from '../../../../src/dataverse/repositories/index.ts';
import { createSchema, LINE_CONFIG_KIND, type Schema } from '../../../../src/dataverse/schema.ts';
import { effectiveSettings, type EffectiveDialingSettings } from '../../../../src/dialing/index.ts';
import { createUserSide, type UserSideOptions } from '../../../../src/manager/clients/index.ts';
import type { ManagerConfig } from '../../../../src/manager/config/load.ts';
import type { ConnectorSide, UserSideContext } from '../../../../src/manager/contracts.ts';
import { FakeConnectorSide } from './fake-connector-side.ts';
import { SEED_USERS } from '../../../support/seed-users.ts';

export const USERS = SEED_USERS;
export type UserKey = keyof typeof USERS;
export const TEAMS = { vertriebLeipzig: '9cd56c15-1e7f-5f81-a2c3-f5f94ca0460c', kundenserviceBerlin: '63ecbb4c-7464-5954-ade4-4e79c14c2d51' } as const;
const SERVICE = { sam: 'CONTOSO\\svc-crmtapi', password: 'Test-only-svc-crmtapi-1!' };

export interface Harness {
  dv: SimulatedDataverse;
  manager: Connection;
  repos: Repositories;
  schema: Schema;
  top: { default: LineConfigRecord; site: LineConfigRecord };
  connector: FakeConnectorSide;
  outbox: Outbox;
  directory: PhoneDirectory<EffectiveDialingSettings>;
  side: ReturnType<typeof createUserSide>;
  url: string;
  /** The origin the CRM pages come from (the allowed Origin). */
  crmOrigin: string;
  user(key: UserKey): Promise<Connection>;
  addLine(line: string, user?: UserKey, fields?: Record<string, unknown>): Promise<string>;
  share(recordId: string, principal: string, type: 'systemuser' | 'team'): Promise<void>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  options?: UserSideOptions;
  config?: Partial<ManagerConfig>;
  connectorSide?: ConnectorSide;
}

export async function startHarness(h: HarnessOptions = {}): Promise<Harness> {
  const dv = await startSimulatedDataverse({ port: 0 });
  const cfg = (sam: string, password: string) => parseConnectionConfig({ CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmUsername: sam, CrmPassword: password }, 'test');
  const manager = await connect(cfg(SERVICE.sam, SERVICE.password));
  const admin = await connect(cfg(USERS.petra.sam, USERS.petra.password));
  const schema = createSchema();
  const repos = createRepositories(manager.client, schema);
  const top = await repos.lineConfigs.ensureDefaultAndSite({ webSocketUrl: 'ws://127.0.0.1:8080', tapiPort: 4505, managerHost: '127.0.0.1' });
  const def = effectiveSettings(top.default.dialing);
  if (!def.ok) throw def.error;
  const directory = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys: dialingKeys(def.settings), source: new DataverseDirectorySource(manager.client) });
  await directory.refresh('full');
  const dir = mkdtempSync(join(tmpdir(), 'user-side-'));
  const outbox = new Outbox({ store: new SqliteOutboxStore(join(dir, 'outbox.db'), { synchronous: 'NORMAL' }), transport: dataverseTransport(manager.client), backoff: { baseMs: 50, maxMs: 500 } });
  outbox.start();
  const connector = new FakeConnectorSide();
  const logger = pino({ level: process.env.TEST_LOG ?? 'silent' });
  const config = { ...DEFAULTS, BindAddress: '127.0.0.1', CrmTapiWebSocketPort: 8080, ListenerTestLog: false, ...h.config } as ManagerConfig;
  const context: UserSideContext = {
    connectorSide: h.connectorSide ?? connector,
    config: () => config,
    onConfigChange: () => () => undefined,
    logger,
    crm: { api: manager.client, repositories: repos, schema, serviceUrl: manager.serviceUrl },
    directory,
    refreshPhoneNumbers: async () => {
      await directory.refresh('incremental');
      return { numbers: directory.status().keys };
    },
    outbox,
    lineRecords: top,
    version: '0.1.0-test',
  };
  const side = createUserSide(context, { port: 0, entitlementDebounceMs: 20, ...h.options });
  const users = new Map<UserKey, Connection>();
  const f = schema.lineConfig.fields;
  const harness: Harness = {
    dv, manager, repos, schema, top, connector, outbox, directory, side, url: '', crmOrigin: new URL(manager.serviceUrl).origin,
    async user(key) {
      let c = users.get(key);
      if (c === undefined) users.set(key, (c = await connect(cfg(USERS[key].sam, USERS[key].password))));
      return c;
    },
    async addLine(line, user, fields = {}) {
      const { id } = await manager.client.create(schema.lineConfig.entitySet, {
        [f.name]: line, [f.kind]: LINE_CONFIG_KIND.userLine, [f.line]: line, [f.connectorHost]: line.split(':')[0],
        [`${f.parent}@odata.bind`]: `/${schema.lineConfig.entitySet}(${top.site.id})`,
        ...(user === undefined ? {} : { [`${f.user}@odata.bind`]: `/systemusers(${USERS[user].id})` }),
        ...fields,
      });
      return id;
    },
    async share(recordId, principal, type) {
      await admin.client.send('POST', `${admin.webApiUrl}GrantAccess`, {
        idempotent: false,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          Target: { '@odata.type': `Microsoft.Dynamics.CRM.${schema.lineConfig.logicalName}`, [schema.lineConfig.primaryId]: recordId },
          PrincipalAccess: { Principal: { '@odata.type': `Microsoft.Dynamics.CRM.${type}`, [`${type}id`]: principal }, AccessMask: 'ReadAccess' },
        }),
      });
    },
    async close() {
      await side.stop();
      await outbox.close();
      for (const c of [manager, admin, ...users.values()]) await c.client.close();
      await dv.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** Starts the user side after the CRM data of a test is in place. */
export async function open(h: Harness): Promise<string> {
  const { port } = await h.side.start();
  h.url = `ws://127.0.0.1:${port}/`;
  return h.url;
}
