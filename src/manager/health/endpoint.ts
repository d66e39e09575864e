// The manager's health endpoint (src/health/server.ts) with its readiness
// rules: CRM reachable (the last Dataverse attempt got an answer below 500),
// the solution present (an optional check; "unknown" without one), the phone
// directory loaded, both listeners answering their self-test. Started by
// the CLI before the manager, so /healthz answers (and /readyz says why
// not) while the manager still waits for the CRM.
import { isLoopback } from '../../config/health-keys.ts';
import { startHealthServer, type ReadinessCheck } from '../../health/server.ts';
import type { ManagerConfig } from '../config/load.ts';
import type { RunningManager } from '../manager.ts';
import { createManagerMetrics, type ManagerMetrics } from './metrics.ts';

export interface ManagerHealthOptions {
  /**
   * Whether the CRM solution is installed (src/dataverse, the CRM solution
   * issue); absent, /readyz reports the check as "unknown", which does not
   * make the manager unready.
   */
  solutionInstalled?: (manager: RunningManager) => Promise<boolean>;
}

export interface ManagerHealth {
  port: number;
  metrics: ManagerMetrics;
  attach(manager: RunningManager): void;
  close(): Promise<void>;
}

async function checks(manager: RunningManager | undefined, metrics: ManagerMetrics, o: ManagerHealthOptions): Promise<ReadinessCheck[]> {
  if (manager === undefined) return [{ name: 'crm', state: 'fail', detail: 'starting: waiting for the CRM (the log says why)' }];
  const out: ReadinessCheck[] = [];
  const last = metrics.lastCrmAttempt();
  if (last !== undefined && (last.status === 401 || last.code === 'unauthorized')) {
    // Persistent: one renewal after a 401 did not help. Nothing is lost meanwhile (records wait in the outbox); the operator must act.
    out.push({ name: 'crm', state: 'fail', detail: `unauthorized: Dataverse refused the manager's credentials at ${new Date(last.at).toISOString()} (a renewed sign-in did not help); records wait in the outbox until the credentials work (check CrmUsername, CrmPassword, CrmClientId and the client secret or certificate)` });
  } else if (last !== undefined && (last.status === 0 || last.status >= 500)) {
    out.push({ name: 'crm', state: 'fail', detail: `the last Dataverse request at ${new Date(last.at).toISOString()} ${last.status === 0 ? 'got no answer' : `was answered HTTP ${last.status}`}` });
  } else {
    out.push({ name: 'crm', state: 'ok', ...(last === undefined ? {} : { detail: `last answer HTTP ${last.status} at ${new Date(last.at).toISOString()}` }) });
  }
  if (o.solutionInstalled === undefined) out.push({ name: 'solution', state: 'unknown', detail: 'this build has no solution check' });
  else {
    const present = await o.solutionInstalled(manager).catch(() => undefined);
    out.push(present === undefined ? { name: 'solution', state: 'unknown', detail: 'the CRM could not be asked' } : { name: 'solution', state: present ? 'ok' : 'fail', ...(present ? {} : { detail: 'the crm-tapi solution is not installed in the organisation, or older than this manager needs (crm-tapi solution status)' }) });
  }
  const directory = manager.directory.status();
  out.push({ name: 'directory', state: 'ok', detail: `${directory.records} record(s), ${directory.keys} number key(s)` });
  const [tapi, ws] = await Promise.all([manager.gateway.selfTest(), manager.userSide?.selfTest() ?? Promise.resolve(true)]);
  out.push({ name: 'listeners', state: tapi && ws ? 'ok' : 'fail', ...(tapi && ws ? {} : { detail: `${tapi ? '' : 'the TAPI port '}${!tapi && !ws ? 'and ' : ''}${ws ? '' : 'the WebSocket port '}did not answer its self-test` }) });
  return out;
}

/** Starts the endpoint when HealthPort is set; undefined otherwise. */
export async function startManagerHealth(config: ManagerConfig, o: ManagerHealthOptions = {}): Promise<ManagerHealth | undefined> {
  if (config.HealthPort === undefined) return undefined;
  const metrics = createManagerMetrics();
  let manager: RunningManager | undefined;
  // A token is needed when one is configured, or when the endpoint is exposed (then DiagnoseKey serves too).
  const exposed = !isLoopback(config.HealthBindAddress);
  const tokens = [config.HealthToken, exposed ? config.DiagnoseKey : undefined].filter((t): t is string => t !== undefined);
  try {
    const server = await startHealthServer({
      host: config.HealthBindAddress, port: config.HealthPort, registry: metrics.registry,
      // No token: the endpoint is on loopback (the configuration refuses an exposed one without).
      tokens: () => tokens,
      readiness: () => checks(manager, metrics, o),
    });
    return {
      port: server.port, metrics,
      attach(running) {
        manager = running;
        metrics.attach(running);
      },
      async close() {
        await server.close();
        metrics.close();
      },
    };
  } catch (err) {
    metrics.close();
    throw err;
  }
}
