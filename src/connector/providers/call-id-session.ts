// Call ids must never repeat for one ConnectorHost, also across connector
// restarts: the manager keys a call by host and id (spec/protocol.md) and
// derives the id of the agent's phone call activity from that key, so a
// restarted connector whose first call was `t1-1` again would land that call
// on the earlier call's phone call record (issue 11, case 15). Providers that
// number their own calls put this token of the process start in front.
import { randomBytes } from 'node:crypto';

/** Short and distinct per provider start: the start time (base 36) and 16 random bits, e.g. `mieq3k1c7f2a`. */
export function callIdSession(nowMs: number = Date.now()): string {
  return `${Math.max(0, Math.floor(nowMs)).toString(36)}${randomBytes(2).toString('hex')}`;
}
