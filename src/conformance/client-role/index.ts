// The client role: the suite plays the manager for a browser or other client.
import type { Case } from '../case.ts';
import { CALL_CONTROL_CASES } from './cases-call-control.ts';
import { CLIENT_CASES as CASES } from './cases.ts';
import type { ClientContext } from './context.ts';

export const CLIENT_CASES: readonly Case<ClientContext>[] = [...CASES, ...CALL_CONTROL_CASES];
export { ClientContext, ClientListener, type ClientTarget } from './context.ts';
