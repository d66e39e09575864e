// CRM content that a protocol text field cannot carry (a tab or a bell in a
// contact's name, as imported data has) must not stop the popup of that
// contact's callers: through the manager's production composition, the name
// arrives cleaned (tab → space, other control characters → U+FFFD).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { E2eClient } from './support/client.ts';
import { startStack, type Stack } from './support/stack.ts';

let stack: Stack;
let anna: E2eClient;

beforeAll(async () => {
  stack = await startStack();
  await stack.assign('21', 'anna');
  await stack.refreshEntitlements();
  anna = (await stack.signIn('anna')).client;
}, 60_000);
afterAll(async () => {
  await stack?.stop();
});

describe('a contact whose name holds control characters', () => {
  it('still pops up for its callers, its name cleaned', async () => {
    await stack.admin.create('contacts', { firstname: 'Eve\tTab', lastname: 'Mallory\u0007', telephone1: '+49 30 9988776' });
    await stack.manager.directory.refresh('incremental');
    const call = stack.pbx.incoming({ number: '030 9988776' }, '21');
    const callKey = stack.callKey(call.callIds[0] as string);
    const offering = await anna.next('callNotification', (n) => n.callKey === callKey && n.state === 'offering');
    expect(offering.matches).toHaveLength(1);
    expect(offering.matches[0]?.name).toBe('Eve Tab Mallory\ufffd');
    await stack.endAllCalls();
  });
});
