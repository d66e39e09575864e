// The simulated Dataverse: start it on a real port (or get its msw handlers for in-process
// use) with seed data from a directory. See docs/simulated-dataverse.md.
import { readFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { packageRoot } from '../../src/config/package-root.ts';
import type { RequestHandler } from 'msw';
import { ControllableClock, type SimClock } from './clock.ts';
import { ConnectionRegistry } from './connections.ts';
import { loadDirectory, type Directory } from './directory.ts';
import { SimulatorError } from './errors.ts';
import { FaultInjector } from './faults.ts';
import { createHandlers } from './handlers.ts';
import { AsyncLock } from './lock.ts';
import { loadMetadata, type Metadata } from './metadata.ts';
import { SqlitePersistence } from './persistence.ts';
import { PrivilegeResolver } from './privileges.ts';
import { RecordAccess } from './access.ts';
import { loadSeed } from './seed.ts';
import { serveHandlers } from './server.ts';
import type { RequestLogEntry, SimSettings, SimState } from './state.ts';
import { RecordStore } from './store.ts';
import { TokenService } from './auth/tokens.ts';
import { WriteService } from './writes.ts';

export { ControllableClock, type SimClock } from './clock.ts';
export { FaultInjector, type FaultRuleInput, type FaultRule } from './faults.ts';
export { RecordStore, type StoredRecord, type LookupValue } from './store.ts';
export { SimulatorError, ODataError } from './errors.ts';
export { nameGuid, SYSTEM_USER_ID } from './seed.ts';
export { heldBackSeed, type SeedDocument } from './solution-seed.ts';
export { NTLM_PASSWORD_VERIFICATION } from './auth/ntlm.ts';
export type { Directory } from './directory.ts';
export type { Metadata, EntityDefinition, AttributeDefinition } from './metadata.ts';

/** The committed test-only TLS material (fixtures/tls/). */
// packageRoot: the same files from the sources and from the release build (dist/simulator/…).
export const TEST_TLS_DIR = join(packageRoot(), 'fixtures', 'tls') + sep;
export const DEFAULT_SEED_DIR = join(packageRoot(), 'fixtures', 'crm') + sep;

export interface SimulatedDataverseOptions {
  /** Directory with metadata*.json, directory.json and seed/*.json (default fixtures/crm). */
  seedDir?: string;
  /** 0 (default) = any free port. */
  port?: number;
  host?: string;
  /** Organisation unique name; default from directory.json. */
  orgName?: string;
  clock?: SimClock;
  /** true = the test certificate of fixtures/tls; or your own PEM key and certificate. */
  tls?: boolean | { key: string; cert: string };
  /** Persist the store in this SQLite file (seeded only when the file holds no records). */
  sqlitePath?: string;
  tokenLifetimeSeconds?: number;
  changeTrackingRetentionSeconds?: number;
  authSchemes?: SimSettings['authSchemes'];
  enforcePrivileges?: boolean;
  /** Seed of the fault injector's PRNG (probability rules). */
  faultSeed?: number;
  /**
   * An org where the crm-tapi solution was never imported: metadata and seed files whose
   * name contains "ctapi" are left out; `crm-tapi solution import` (ImportSolution) adds them.
   * Seed rows that name a record of those files (role assignments of our roles) are left out
   * too, as no admin could write them before the import: `heldBackSeed(seedDir)` lists them.
   */
  withoutSolution?: boolean;
}

export interface SimulatedDataverse {
  /** Origin, e.g. http://127.0.0.1:PORT — the bare root serves the default organisation. */
  url: string;
  /** OnPremise style organisation URL: `${url}/${orgName}`. */
  orgUrl: string;
  /** `${url}/api/data/v9.2/` */
  webApiUrl: string;
  /** `${orgUrl}/api/data/v9.2/` */
  orgWebApiUrl: string;
  /** Entra-like authority `${url}/${tenantId}` (msal-node `authority`). */
  authorityUrl: string;
  /** `${authorityUrl}/oauth2/v2.0/token` */
  tokenUrl: string;
  /** `${authorityUrl}/oauth2/v2.0/authorize` — the sign-in page. */
  authorizeUrl: string;
  adfsTokenUrl: string;
  /** `${url}/_sim/` — the control API. */
  controlUrl: string;
  port: number;
  orgName: string;
  tenantId: string;
  /** The CA certificate (PEM) clients must trust when tls is on. */
  caCertificate?: string;
  metadata: Metadata;
  store: RecordStore;
  directory: Directory;
  clock: SimClock;
  faults: FaultInjector;
  settings: SimSettings;
  requestLog: RequestLogEntry[];
  /** Authoritative state for tests that need more (privileges, writes). */
  state: SimState;
  close(): Promise<void>;
}

/** Builds the state and msw handlers without listening (for msw's setupServer). */
export async function createSimulatedDataverseHandlers(options: SimulatedDataverseOptions = {}): Promise<{ state: SimState; handlers: RequestHandler[] }> {
  const seedDir = options.seedDir ?? DEFAULT_SEED_DIR;
  const withoutSolution = options.withoutSolution === true;
  const metadata = await loadMetadata(seedDir, { withoutSolution });
  const directory = await loadDirectory(seedDir);
  const clock = options.clock ?? new ControllableClock();
  const store = new RecordStore(options.sqlitePath ? new SqlitePersistence(options.sqlitePath) : undefined);
  const privileges = new PrivilegeResolver(store);
  const settings: SimSettings = {
    tokenLifetimeSeconds: options.tokenLifetimeSeconds ?? 3600,
    changeTrackingRetentionSeconds: options.changeTrackingRetentionSeconds ?? 7 * 24 * 3600,
    authSchemes: options.authSchemes ?? ['Bearer', 'NTLM'],
    enforcePrivileges: options.enforcePrivileges ?? true,
  };
  const access = new RecordAccess(store, privileges, () => settings.enforcePrivileges);
  const writes = new WriteService(metadata, store, (...args) => {
    if (settings.enforcePrivileges) privileges.demand(...args);
  }, access);
  if (store.isEmpty()) {
    try {
      await loadSeed(seedDir, metadata, store, writes, clock.now(), { withoutSolution });
    } catch (err) {
      store.close();
      throw err;
    }
  }
  const signingKey = await readFile(`${TEST_TLS_DIR}jwt-signing-key.pem`, 'utf8').catch(() => undefined);
  const tokens = new TokenService(clock, () => settings.tokenLifetimeSeconds, directory.tenantId, signingKey);
  const faults = new FaultInjector(options.faultSeed ?? 1, () => tokens.expireAll());
  const orgName = options.orgName ?? directory.organization.uniqueName;
  if (!/^[A-Za-z0-9_]+$/.test(orgName)) throw new SimulatorError('sim-options-invalid', `orgName "${orgName}" must be letters, digits or _`);
  const state: SimState = {
    metadata, store, directory, clock, writes, privileges, tokens, faults,
    connections: new ConnectionRegistry(), settings, orgName, requestLog: [], writeLock: new AsyncLock(),
  };
  const handlers = createHandlers(state);
  return { state, handlers };
}

async function tlsMaterial(tls: SimulatedDataverseOptions['tls']): Promise<{ key: string; cert: string; ca?: string } | undefined> {
  if (!tls) return undefined;
  if (tls !== true) return tls;
  try {
    const [key, cert, ca] = await Promise.all(['server-key.pem', 'server.pem', 'ca.pem'].map((f) => readFile(`${TEST_TLS_DIR}${f}`, 'utf8')));
    return { key: key as string, cert: cert as string, ca: ca as string };
  } catch (err) {
    throw new SimulatorError('sim-tls-unavailable', `cannot read the test certificate in ${TEST_TLS_DIR}`, { cause: err });
  }
}

export async function startSimulatedDataverse(options: SimulatedDataverseOptions = {}): Promise<SimulatedDataverse> {
  const { state, handlers } = await createSimulatedDataverseHandlers(options);
  const tls = await tlsMaterial(options.tls);
  const host = options.host ?? '127.0.0.1';
  let running;
  try {
    running = await serveHandlers(handlers, state.connections, { host, port: options.port ?? 0, tls });
  } catch (err) {
    state.store.close();
    throw err;
  }
  const hostPart = host.includes(':') ? `[${host}]` : host;
  const url = `${tls ? 'https' : 'http'}://${hostPart}:${running.port}`;
  state.tokens.origin = url;
  const authorityUrl = `${url}/${state.directory.tenantId}`;
  return {
    url,
    orgUrl: `${url}/${state.orgName}`,
    webApiUrl: `${url}/api/data/v9.2/`,
    orgWebApiUrl: `${url}/${state.orgName}/api/data/v9.2/`,
    authorityUrl,
    tokenUrl: `${authorityUrl}/oauth2/v2.0/token`,
    authorizeUrl: `${authorityUrl}/oauth2/v2.0/authorize`,
    adfsTokenUrl: `${url}/adfs/oauth2/token`,
    controlUrl: `${url}/_sim/`,
    port: running.port,
    orgName: state.orgName,
    tenantId: state.directory.tenantId,
    ...(tls?.ca ? { caCertificate: tls.ca } : {}),
    metadata: state.metadata,
    store: state.store,
    directory: state.directory,
    clock: state.clock,
    faults: state.faults,
    settings: state.settings,
    requestLog: state.requestLog,
    state,
    close: async () => {
      await running.close();
      state.store.close();
    },
  };
}
