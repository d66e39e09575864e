// The manager as an operator runs it: `crm-tapi manager --config FILE` in a
// child process (the production composition, src/cli/commands/manager.ts),
// restartable on the same DataDir and ports, killable with SIGKILL. Time is
// shortened through the configuration file only. The connector runs
// in-process (a real ConnectorService on a simulated PBX) and reaches the
// manager over real TCP, optionally through the fault proxy.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { startSimulatedDataverse, type SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { WallClock } from '../../../simulator/pbx/clock.ts';
import { parseLineSpec } from '../../../simulator/pbx/lines.ts';
import { SimulatedPbx } from '../../../simulator/pbx/pbx.ts';
import { SimulatedLineProvider } from '../../../simulator/pbx/provider.ts';
import { validateConnectorConfig } from '../../../src/connector/config/load.ts';
import { ConnectorService } from '../../../src/connector/service.ts';
import { createSchema, LINE_CONFIG_KIND, lookupValue } from '../../../src/dataverse/schema.ts';
import { E2eClient } from '../../e2e/support/client.ts';
import { until } from '../../e2e/support/wait.ts';
import { USERS, WebApiUser, type Row, type UserKey } from '../../e2e/support/webapi.ts';
import { freePort, freeTapiPort } from '../../support/ports.ts';
import { FaultProxy } from './fault-proxy.ts';

export const SERVICE = { sam: 'CONTOSO\\svc-crmtapi', password: 'Test-only-svc-crmtapi-1!' };
export const CONNECTOR_KEY = 'reliability-connector-key-4e8d21';
const schema = createSchema();

function toml(values: Record<string, unknown>): string {
  return Object.entries(values).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join('\n');
}

/** One manager process at a time on one configuration file and DataDir. */
export class ManagerProcess {
  out = '';
  private child: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);

  private constructor(
    readonly file: string,
    readonly dir: string,
    readonly tapiPort: number,
    readonly webSocketPort: number,
  ) {}

  /** Writes the configuration (TOML, the manual's keys) for the simulated Dataverse `dv`. */
  static async configure(dv: SimulatedDataverse, keys: Record<string, unknown> = {}): Promise<ManagerProcess> {
    const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-reliability-'));
    const tapi = await freeTapiPort();
    const ws = await freePort();
    const file = join(dir, 'manager.toml');
    writeFileSync(file, toml({
      CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmUsername: SERVICE.sam, CrmPassword: SERVICE.password,
      ConnectorKeys: [CONNECTOR_KEY], CrmTapiPort: tapi, CrmTapiWebSocketPort: ws, BindAddress: '127.0.0.1', LogLevel: 3, DataDir: 'state',
      CrmRetryMaxDelay: 1, TimeZone: 'Europe/Berlin', ...keys,
    }));
    return new ManagerProcess(file, dir, tapi, ws);
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.webSocketPort}/`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts `crm-tapi manager --config FILE`; resolves once it logged "manager running". */
  async start(timeoutMs = 180_000): Promise<void> {
    if (this.running) throw new Error('the manager is already running');
    const from = this.out.length;
    const child = spawn(process.execPath, ['bin/crm-tapi.js', 'manager', '--config', this.file], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const collect = (chunk: Buffer): void => {
      this.out += chunk.toString('utf8');
      if (process.env.RELIABILITY_LOG !== undefined) process.stderr.write(chunk);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    await until(() => this.out.indexOf('"msg":"manager running"', from) >= 0 || !this.running, 'the manager to start', timeoutMs, 50);
    if (!this.running) throw new Error(`the manager exited during start:\n${this.out.slice(from).slice(-4000)}`);
  }

  /** SIGKILL: no stop step runs, nothing is flushed. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child?.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM: the graceful stop; resolves with the exit status. */
  async stop(): Promise<number | null> {
    if (!this.running) return this.child?.exitCode ?? null;
    this.child?.kill('SIGTERM');
    return this.exited;
  }

  /** Log lines (JSON) whose message contains `text`. */
  lines(text: string): string[] {
    return this.out.split('\n').filter((l) => l.includes(text));
  }

  async dispose(): Promise<void> {
    // RELIABILITY_KEEP_LOG=FILE keeps the manager's log of the run for a post-mortem.
    if (process.env.RELIABILITY_KEEP_LOG !== undefined) writeFileSync(process.env.RELIABILITY_KEEP_LOG, this.out);
    if (this.running) this.child?.kill('SIGKILL');
    await this.exited;
    if (process.env.RELIABILITY_KEEP_LOG === undefined) rmSync(this.dir, { recursive: true, force: true });
  }
}

export const HOST = 'rel-pbx';

/** A real connector service (in-process) on a simulated PBX, connected to `port`. */
export class PbxConnector {
  readonly pbx: SimulatedPbx;
  private service: ConnectorService | undefined;

  constructor(
    private port: number,
    readonly lines = '20-29',
    private readonly connectorKeys: Record<string, unknown> = {},
    /** Test-only options of the service (e.g. a short ack timeout instead of keep-alive + 15 s). */
    private readonly serviceOptions: { ackTimeoutMs?: number; handshakeTimeoutMs?: number } = {},
  ) {
    this.pbx = new SimulatedPbx({ clock: new WallClock(), lines: parseLineSpec(lines) });
  }

  line(ext: string): string {
    return `${HOST}:${ext}`;
  }

  callKey(callId: string): string {
    return `${HOST}/${callId}`;
  }

  async start(port = this.port): Promise<void> {
    this.port = port;
    const config = {
      ...validateConnectorConfig({
        CRMTapiManagerServer: '127.0.0.1', ConnectorKey: CONNECTOR_KEY, ConnectorHost: HOST, LogLevel: 3,
        Provider: { Kind: 'simulator', Lines: this.lines }, ...this.connectorKeys,
      }, 'reliability', { baseDir: tmpdir() }),
      CRMTapiManagerPort: port,
    };
    this.service = new ConnectorService({
      config, provider: new SimulatedLineProvider(this.pbx), logger: pino({ level: process.env.RELIABILITY_LOG ?? 'silent' }), version: '0.1.0-reliability',
      reconnectBackoff: { baseMs: 50, capMs: 250 }, reopenBackoff: { baseMs: 50, capMs: 250 }, flushTimeoutMs: 2_000, ...this.serviceOptions,
    });
    await this.service.start();
  }

  get stats(): ConnectorService['stats'] | undefined {
    return this.service?.stats;
  }

  /** Waits until the connector is registered with the manager. */
  async ready(timeoutMs = 60_000): Promise<void> {
    await until(() => this.service?.stats.link === 'ready', 'the connector to register', timeoutMs, 20);
  }

  async stop(): Promise<void> {
    await this.service?.stop();
    this.service = undefined;
  }

  async close(): Promise<void> {
    await this.stop();
    this.pbx.close();
  }
}

/** The CRM as an admin and the users see it: line records, call logs, phone calls. */
export class Crm {
  private constructor(
    readonly dv: SimulatedDataverse,
    readonly admin: WebApiUser,
  ) {}

  static async open(dv: SimulatedDataverse): Promise<Crm> {
    return new Crm(dv, await WebApiUser.signIn(dv, 'petra'));
  }

  user(key: UserKey): Promise<WebApiUser> {
    return WebApiUser.signIn(this.dv, key);
  }

  async lineRecords(line: string): Promise<Row[]> {
    const lc = schema.lineConfig;
    const f = lc.fields;
    return this.admin.list(lc.entitySet, `$select=${f.id},${lookupValue(f.user)}&$filter=${f.line} eq '${line}' and ${f.kind} eq ${LINE_CONFIG_KIND.userLine}`);
  }

  /** Puts `user` on the line's auto-created user line record (waits for the manager to create it). */
  async assign(line: string, user: UserKey): Promise<void> {
    await until(async () => (await this.lineRecords(line)).length > 0, `a user line record for ${line}`, 30_000, 100);
    const [record] = await this.lineRecords(line);
    await this.admin.update(schema.lineConfig.entitySet, record?.[schema.lineConfig.fields.id] as string, { [`${schema.lineConfig.fields.user}@odata.bind`]: `/systemusers(${USERS[user].id})` });
  }

  /** Every call log entry, with its call key. */
  async callLogs(): Promise<Row[]> {
    const log = schema.callLog;
    const rows: Row[] = [];
    let next: string | undefined = `${log.entitySet}?$select=${log.fields.id},${log.fields.callKey},${log.fields.start},${log.fields.end},${log.fields.missed}`;
    while (next !== undefined) {
      const { json }: { json: Row } = await this.admin.call('GET', next);
      rows.push(...((json.value as Row[] | undefined) ?? []));
      const link = json['@odata.nextLink'] as string | undefined;
      next = link === undefined ? undefined : link.slice(link.indexOf(log.entitySet));
    }
    return rows;
  }

  callKeyOf(row: Row): string {
    return row[schema.callLog.fields.callKey] as string;
  }

  async phoneCalls(): Promise<Row[]> {
    return this.admin.list('phonecalls', '$select=activityid,subject,phonenumber');
  }
}

export interface Bridge {
  dv: SimulatedDataverse;
  manager: ManagerProcess;
  connector: PbxConnector;
  crm: Crm;
  proxy: FaultProxy | undefined;
  close(): Promise<void>;
}

export interface BridgeOptions {
  /** Manager keys on top of the defaults (e.g. a short CallSweepInterval); a function gets the simulated Dataverse (for its URLs). */
  managerKeys?: Record<string, unknown> | ((dv: SimulatedDataverse) => Record<string, unknown>);
  lines?: string;
  /** Lines whose user line record gets the agent `anna`. */
  agentLines?: readonly string[];
  /** Put the fault proxy between connector and manager. */
  proxy?: boolean;
  serviceOptions?: { ackTimeoutMs?: number; handshakeTimeoutMs?: number };
  faultSeed?: number;
}

/**
 * The whole bridge as an operator runs it: the simulated Dataverse (real
 * HTTP), `crm-tapi manager` as a child process, a real connector (optionally
 * behind the fault proxy); `anna` put on the agent lines by an admin, and the
 * connector re-registered so the manager reads the entitlements again.
 */
export async function startBridge(options: BridgeOptions = {}): Promise<Bridge> {
  const dv = await startSimulatedDataverse({ port: 0, ...(options.faultSeed === undefined ? {} : { faultSeed: options.faultSeed }) });
  const manager = await ManagerProcess.configure(dv, typeof options.managerKeys === 'function' ? options.managerKeys(dv) : options.managerKeys);
  let proxy: FaultProxy | undefined;
  let connector: PbxConnector | undefined;
  const close = async (): Promise<void> => {
    await connector?.close();
    await proxy?.close();
    await manager.dispose();
    await dv.close();
  };
  try {
    await manager.start();
    proxy = options.proxy ? await FaultProxy.start(manager.tapiPort) : undefined;
    connector = new PbxConnector(proxy?.port ?? manager.tapiPort, options.lines ?? '20-29', {}, options.serviceOptions);
    await connector.start();
    const crm = await Crm.open(dv);
    for (const ext of options.agentLines ?? []) await crm.assign(connector.line(ext), 'anna');
    await connector.stop();
    await connector.start();
    await connector.ready();
    if ((options.agentLines ?? []).length > 0) await entitled(manager, crm, (options.agentLines ?? []).map((ext) => (connector as PbxConnector).line(ext)));
    return { dv, manager, connector, crm, proxy, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** Waits until the manager knows anna is on `lines` (her client's welcome lists them), then closes the client. */
async function entitled(manager: ManagerProcess, crm: Crm, lines: readonly string[]): Promise<void> {
  const anna = await E2eClient.open(manager.wsUrl, 'anna-setup', new URL(crm.dv.url).origin);
  try {
    await anna.prove(await crm.user('anna'), await anna.connect());
    await until(() => anna.of('welcome').some((w) => lines.every((line) => w.lines.some((l) => l.line === line))), `the manager to know anna is on ${lines.length} line(s)`, 30_000);
  } finally {
    await anna.close();
  }
}
