// The opening most e2e tests share: an external call rings a line, and the
// test waits until the given client's popup shows it offering.
import type { IncomingResult } from '../../../simulator/pbx/index.ts';
import type { Party } from '../../../src/connector/line-provider.ts';
import type { CallNotificationMessage } from '../../../src/protocol/index.ts';
import type { E2eClient } from './client.ts';
import type { Stack } from './stack.ts';

export interface Ringing {
  call: IncomingResult;
  callId: string;
  callKey: string;
  offering: CallNotificationMessage;
}

export async function ringFor(stack: Stack, client: E2eClient, caller: Party, ext: string): Promise<Ringing> {
  const call = stack.pbx.incoming(caller, ext);
  const callId = call.callIds[0] as string;
  const callKey = stack.callKey(callId);
  const offering = await client.next('callNotification', (n) => n.callKey === callKey && n.state === 'offering');
  return { call, callId, callKey, offering };
}
