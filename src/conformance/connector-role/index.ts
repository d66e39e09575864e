// The connector role: the suite plays the manager on a TCP port and waits
// for the connector under test to connect.
import type { Case } from '../case.ts';
import { CONNECTOR_CASES as CASES } from './cases.ts';
import { CALL_CONTROL_CASES } from './cases-call-control.ts';
import type { ConnectorContext } from './context.ts';

export const CONNECTOR_CASES: readonly Case<ConnectorContext>[] = [...CASES, ...CALL_CONTROL_CASES];
export { ConnectorContext, ConnectorListener, type ConnectorTarget } from './context.ts';
