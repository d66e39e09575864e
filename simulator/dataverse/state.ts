// Everything one running simulated Dataverse holds: metadata, store, directory, clock, tokens,
// faults, and the settings tests may change while it runs.
import type { SimClock } from './clock.ts';
import type { Directory } from './directory.ts';
import type { FaultInjector } from './faults.ts';
import type { Metadata } from './metadata.ts';
import type { PrivilegeResolver } from './privileges.ts';
import type { RecordStore } from './store.ts';
import type { TokenService } from './auth/tokens.ts';
import type { WriteService } from './writes.ts';
import type { ConnectionRegistry } from './connections.ts';
import type { AsyncLock } from './lock.ts';

export interface SimSettings {
  tokenLifetimeSeconds: number;
  changeTrackingRetentionSeconds: number;
  /**
   * Which 401 challenges the Web API sends and which credentials it accepts, like the
   * providers of IIS "Windows authentication": `NTLM` offers `Negotiate` and `NTLM` (the IIS
   * default) and takes NTLM tokens under either; `Negotiate` offers only `Negotiate` and takes
   * NTLM tokens only under it (SPNEGO falling back to NTLM); `Kerberos` offers only `Negotiate`
   * and refuses NTLM tokens (IIS "Negotiate:Kerberos"), as a Kerberos-only site does.
   */
  authSchemes: ('Bearer' | 'NTLM' | 'Negotiate' | 'Kerberos')[];
  /** When false, privileges are not checked (every user may do everything). */
  enforcePrivileges: boolean;
}

export interface RequestLogEntry {
  at: number;
  method: string;
  path: string;
  status: number;
  callerId?: string;
  userId?: string;
}

export interface SimState {
  metadata: Metadata;
  store: RecordStore;
  directory: Directory;
  clock: SimClock;
  writes: WriteService;
  privileges: PrivilegeResolver;
  tokens: TokenService;
  faults: FaultInjector;
  connections: ConnectionRegistry;
  settings: SimSettings;
  /** Organisation unique name (case-insensitive in URLs). */
  orgName: string;
  requestLog: RequestLogEntry[];
  writeLock: AsyncLock;
}

export const REQUEST_LOG_LIMIT = 10_000;

export function logRequest(state: SimState, entry: RequestLogEntry): void {
  state.requestLog.push(entry);
  if (state.requestLog.length > REQUEST_LOG_LIMIT) state.requestLog.splice(0, state.requestLog.length - REQUEST_LOG_LIMIT);
}
