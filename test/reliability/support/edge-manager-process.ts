// `crm-tapi manager --config FILE` as a child process (the production
// composition, its own file descriptors and its own log file) against a
// simulated Dataverse served by the test process. Stops itself on stop().
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimulatedDataverse } from '../../../simulator/dataverse/index.ts';
import { CONNECTOR_KEY, SERVICE } from '../../manager/support/manager.ts';
import { freePort, freeTapiPort } from '../../support/ports.ts';

export interface ManagerProcess {
  child: ChildProcess;
  pid: number;
  dir: string;
  tapiPort: number;
  wsPort: number;
  /** The log file when LogArt = File (LogFile relative to `dir`). */
  logFile: string | undefined;
  /** stdout and stderr so far, then the log file's content. */
  output(): string;
  /** Open file descriptors of the manager process now (/proc/<pid>/fd). */
  fds(): number;
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

const toml = (values: Record<string, unknown>): string => Object.entries(values).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join('\n');

export async function startManagerProcess(dv: SimulatedDataverse, extra: Record<string, unknown> = {}, dir = mkdtempSync(join(tmpdir(), 'crm-tapi-edge-'))): Promise<ManagerProcess> {
  const tapiPort = await freeTapiPort();
  const wsPort = await freePort();
  const file = join(dir, 'manager.toml');
  writeFileSync(file, toml({
    CrmType: 'OnPremise', CrmServer: dv.url, CrmOrganisation: dv.orgName, CrmUsername: SERVICE.sam, CrmPassword: 'env:TEST_CRM_PASSWORD',
    ConnectorKeys: [CONNECTOR_KEY], CrmTapiPort: tapiPort, CrmTapiWebSocketPort: wsPort, LogLevel: 3, DataDir: 'state', CrmRetryMaxDelay: 1, ...extra,
  }));
  const child = spawn(process.execPath, ['bin/crm-tapi.js', 'manager', '--config', file], { env: { ...process.env, TEST_CRM_PASSWORD: SERVICE.password }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const pid = child.pid ?? 0;
  const logFile = typeof extra.LogFile === 'string' ? join(dir, extra.LogFile) : undefined;
  const output = (): string => out + (logFile !== undefined && existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const waitFor = async (text: string, timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!output().includes(text)) {
      if (child.exitCode !== null) throw new Error(`the manager exited (${child.exitCode}) before "${text}":\n${output().slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`no "${text}" from the manager within ${timeoutMs} ms:\n${output().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const p: ManagerProcess = {
    child, pid, dir, tapiPort, wsPort, exited, waitFor, logFile, output,
    fds: () => readdirSync(`/proc/${pid}/fd`).length,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    await waitFor('"msg":"manager running"');
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return p;
}

export { CONNECTOR_KEY };
