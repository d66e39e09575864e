// `crm-tapi lab start --with-bridge`: the demo stack (simulated Dataverse,
// manager, panel) with a connector whose provider is the SIP provider on the
// lab's registrar, driving one extension; Emily Carter sits on it.
import { buildClient } from '../../../scripts/build-client.ts';
import { labPrograms, type Lab } from '../../lab/lab.ts';
import { startDemoStack, type DemoStack } from './demo-stack.ts';

export async function startLabBridge(lab: Lab, line: string): Promise<{ stack: DemoStack; panelUrl: string; webSocketUrl: string; stop(): Promise<void> }> {
  await buildClient();
  const stack = await startDemoStack({
    provider: { Kind: 'sip', Baresip: labPrograms().baresip, Phones: [{ Accounts: [lab.account(line)] }] },
    assignments: [{ line, users: ['emily'] }],
  });
  return { stack, panelUrl: stack.panelUrl('emily'), webSocketUrl: stack.webSocketUrl, stop: () => stack.stop() };
}
