// The manager role: the suite plays connectors (TCP) and browser clients
// (WebSocket) against a manager. Case ids are stable; the call-control cases
// of protocol 1.1 (hold, transfer, consultation, conference) are group
// `call-control`, ids M-CC-01…, in cases-call-control.ts.
import type { Case } from '../case.ts';
import { CALL_CONTROL_CASES } from './cases-call-control.ts';
import { CALL_CASES } from './cases-calls.ts';
import { CLIENT_SIDE_CASES } from './cases-clients.ts';
import { CONNECTOR_SIDE_CASES } from './cases-connector.ts';
import type { ManagerContext } from './context.ts';

export const MANAGER_CASES: readonly Case<ManagerContext>[] = [...CONNECTOR_SIDE_CASES, ...CLIENT_SIDE_CASES, ...CALL_CASES, ...CALL_CONTROL_CASES];
export { ManagerContext, type ManagerTarget } from './context.ts';
