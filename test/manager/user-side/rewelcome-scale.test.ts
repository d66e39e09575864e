// Issue 18: a connector of 200 lines dropping and coming back must not make
// the manager check every client. Its 200 line events of one turn welcome
// again only the users of those lines, each once per turn, and the burst asks
// for one entitlement re-read from the CRM, whose check of every client's
// welcome (110–160 ms of blocked event loop at 10,000 clients when done in one
// turn) goes a slice per turn and sends nothing where nothing changed.
// Real WebSocket clients, proven, over loopback;
// the manager's side with a fake connector side and a CRM stand-in that
// counts its reads. bench/manager-split.ts measures the same at 10,000.
import { once } from 'node:events';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { PhoneDirectory } from '../../../src/dataverse/directory/directory.ts';
import { dialingKeys } from '../../../src/dataverse/directory/dialing-keys.ts';
import { DEFAULT_PHONE_FIELDS } from '../../../src/dataverse/directory/phone-fields.ts';
import { Outbox } from '../../../src/dataverse/outbox/outbox.ts';
import { SqliteOutboxStore } from '../../../src/dataverse/outbox/sqlite-store.ts';
import type { LineConfigRecord, Repositories } from '../../../src/dataverse/repositories/index.ts';
import { createSchema } from '../../../src/dataverse/schema.ts';
import { effectiveSettings } from '../../../src/dialing/index.ts';
import { createUserSide } from '../../../src/manager/clients/index.ts';
import { DEFAULTS } from '../../../src/manager/config/keys.ts';
import type { ManagerConfig } from '../../../src/manager/config/load.ts';
import { decodeMessage, encodeMessage } from '../../../src/protocol/index.ts';
import { sleep } from './support/client.ts';
import { FakeConnectorSide } from './support/fake-connector-side.ts';

const HOSTS = 5;
const PER_HOST = 200;
const CLIENTS = HOSTS * PER_HOST;
const uid = (prefix: number, i: number) => `${prefix.toString(16).padStart(8, '0')}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
const lineOf = (i: number) => `pbx${i % HOSTS}.test:${1000 + i}`;
const def: LineConfigRecord = { id: uid(1, 0), kind: 'default', name: 'Standard', dialing: { countryCode: '49', internationalPrefix: '00', nationalPrefix: '0', areaCode: '30' }, popup: {} };
const site: LineConfigRecord = { id: uid(1, 1), kind: 'site', name: 'Standort', parentId: def.id, dialing: { maxInternalLength: 3 }, popup: {} };
const records: LineConfigRecord[] = Array.from({ length: CLIENTS }, (_, i) => ({ id: uid(2, i), kind: 'userLine', name: lineOf(i), line: lineOf(i), parentId: site.id, userId: uid(3, i), dialing: {}, popup: {} }));
let reads = 0;
const repositories = {
  lineConfigs: { listAll: async () => ((reads += 1), [def, site, ...records]) },
  shares: { all: async () => [] },
  users: { byId: async (id: string) => ({ id, fullName: `User ${id.slice(-4)}`, isDisabled: false }), isAdmin: async () => false, membersOf: async () => [] },
  // The session record id is the user id: the stand-in CRM says that user created it.
  sessions: { verify: async (id: string) => ({ sessionId: id, userId: id, createdOn: new Date() }), remove: async () => undefined },
} as unknown as Repositories;

const connector = new FakeConnectorSide();
const outbox = new Outbox({ store: new SqliteOutboxStore(':memory:'), transport: { deliver: async () => 'created' } });
const settings = effectiveSettings(def.dialing, site.dialing);
if (!settings.ok) throw settings.error;
const directory = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys: dialingKeys(settings.settings), source: { readAll: async () => ({ kind: 'modifiedon', since: new Date(0).toISOString() }), readChanges: async (_s, c) => c } });
const config = { ...DEFAULTS, MaxPendingUpgrades: 10_000, MaxPendingUpgradesPerPeer: 10_000, BindAddress: '127.0.0.1', CrmTapiWebSocketPort: 8080, ListenerTestLog: false } as ManagerConfig;
const side = createUserSide({
  connectorSide: connector, config: () => config, onConfigChange: () => () => undefined, logger: pino({ level: 'silent' }),
  crm: { api: {} as never, repositories, schema: createSchema(), serviceUrl: 'http://crm.example/org' },
  directory, refreshPhoneNumbers: async () => ({ numbers: 0 }), outbox, lineRecords: { default: def, site }, version: 'test',
}, { port: 0, maxUnproven: CLIENTS + 10, heartbeatSeconds: 600, entitlementDebounceMs: 20, entitlementRefreshMs: 0 });

/** Welcomes each client received (its `welcome` count, and the `inService` of its line in the last one). */
const welcomes: { count: number; inService?: boolean }[] = Array.from({ length: CLIENTS }, () => ({ count: 0 }));
const sockets: WebSocket[] = [];

beforeAll(async () => {
  await side.start();
  for (let i = 0; i < CLIENTS; i += 1) connector.report(lineOf(i));
  await sleep(100); // the entitlement read those 'added' events ask for
  const url = `ws://127.0.0.1:${side.port()}/`;
  for (let start = 0; start < CLIENTS; start += 100) {
    await Promise.all(Array.from({ length: 100 }, async (_, k) => {
      const i = start + k;
      const ws = new WebSocket(url, { perMessageDeflate: false });
      sockets[i] = ws;
      const welcomed = new Promise<void>((resolve) => ws.on('message', (data: Buffer) => {
        const m = decodeMessage(data.toString('utf8'));
        if (m.command === 'challenge') ws.send(encodeMessage({ channel: 'intincall', command: 'prove', nonce: m.nonce, sessionRecordId: uid(3, i), clientInstanceId: 'tab' }));
        if (m.command === 'welcome') {
          welcomes[i]!.count += 1;
          welcomes[i]!.inService = m.lines[0]?.inService;
          resolve();
        }
      }));
      await once(ws, 'open');
      ws.send(encodeMessage({ channel: 'intincall', command: 'connect', registration: 'auto', incallVersion: '9.0.0' }));
      await welcomed;
    }));
  }
}, 120_000);

afterAll(async () => {
  for (const ws of sockets) ws.terminate();
  await side.stop();
  await outbox.close();
});

/** Reports every line of `host` in one turn, as a connector going (`online` false) or coming back. */
function connectorOf(host: number, online: boolean): void {
  for (let i = host; i < CLIENTS; i += HOSTS) connector.report(lineOf(i), undefined, online);
}

async function settled(predicate: () => boolean): Promise<void> {
  for (let waited = 0; !predicate(); waited += 20) {
    if (waited > 20_000) throw new Error('timed out');
    await sleep(20);
  }
}

describe(`a 200-line connector going and coming back, ${CLIENTS} proven clients`, () => {
  it('welcomes again only the users of its lines, once per turn each, with one entitlement read per burst', async () => {
    expect(welcomes.every((w) => w.count === 1 && w.inService === true)).toBe(true);
    const readsBefore = reads;
    const own = (i: number) => i % HOSTS === 2;
    connectorOf(2, false);
    await settled(() => welcomes.filter((w, i) => own(i) && w.inService === false).length === PER_HOST);
    connectorOf(2, true);
    await settled(() => welcomes.filter((w, i) => own(i) && w.inService === true).length === PER_HOST);
    await settled(() => reads >= readsBefore + 2); // one re-read after each burst (debounced)
    await sleep(200); // ten entitlement debounces: any welcome the re-reads caused has gone out
    expect(welcomes.filter((w, i) => own(i)).map((w) => w.count)).toEqual(new Array(PER_HOST).fill(3));
    expect(welcomes.filter((w, i) => !own(i) && w.count !== 1)).toEqual([]);
    expect(reads).toBe(readsBefore + 2);
  });

  it('fifty new lines in one turn ask for one entitlement read', async () => {
    const readsBefore = reads;
    for (let k = 0; k < 50; k += 1) connector.report(`pbx9.test:${k}`);
    await settled(() => reads > readsBefore);
    await sleep(100);
    expect(reads).toBe(readsBefore + 1);
    expect(welcomes.every((w) => w.count === 1 || w.count === 3)).toBe(true);
  });
});
