// The lab's registrar keeps routing to a phone whose registration refresh came
// late (a loaded host), instead of answering 404 in that moment: a real
// Kamailio and two real baresip phones, the callee frozen (SIGSTOP) past the
// end of its registration while it is called.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnBaresip } from '../../src/connector/providers/sip/baresip-process.ts';
import type { BaresipProcess } from '../../src/connector/providers/sip/baresip-process.ts';
import { CtrlClient } from '../../src/connector/providers/sip/ctrl-client.ts';
import type { CtrlEvent } from '../../src/connector/providers/sip/messages.ts';
import { KEEP_EXPIRED_S, startKamailio } from '../../src/lab/kamailio.ts';
import type { RunningKamailio } from '../../src/lab/kamailio.ts';
import { LAB_REGINT, labAccount } from '../../src/lab/lab.ts';
import { SIP_AVAILABLE, SIP_MISSING, waitFor } from '../support/sip-world.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function watch(phone: BaresipProcess, user: string, domain: string, events: CtrlEvent[]): Promise<CtrlClient> {
  // baresip opens ctrl_tcp a moment after it started.
  const deadline = Date.now() + 10_000;
  let client: CtrlClient | undefined;
  while (client === undefined) {
    client = await CtrlClient.connect({ host: '127.0.0.1', port: phone.ctrlPort, onEvent: (e) => events.push(e), onClose: () => undefined }).catch((err: unknown) => {
      if (Date.now() > deadline) throw err;
      return new Promise<undefined>((resolve) => setTimeout(resolve, 50));
    });
  }
  const connected = client;
  cleanups.push(async () => connected.close());
  await client.command('uafind', `sip:${user}@${domain}`);
  return client;
}

describe.runIf(SIP_AVAILABLE)('the lab registrar', () => {
  it('routes a call to a phone whose registration expired moments ago (a late refresh), not 404', async () => {
    const kamailio: RunningKamailio = await startKamailio();
    cleanups.push(() => kamailio.stop());
    const started = Date.now();
    const [caller, callee] = await Promise.all(['25', '27'].map((u) => spawnBaresip({ accounts: [labAccount(u, kamailio.domain)] })));
    cleanups.push(async () => {
      if (callee !== undefined) process.kill(callee.pid, 'SIGCONT');
      await Promise.all([caller?.stop(), callee?.stop()]);
    });
    if (caller === undefined || callee === undefined) throw new Error('no phones');
    const callerEvents: CtrlEvent[] = [];
    const calleeEvents: CtrlEvent[] = [];
    const dialer = await watch(caller, '25', kamailio.domain, callerEvents);
    await watch(callee, '27', kamailio.domain, calleeEvents);
    await waitFor('27 to register', () => calleeEvents.some((e) => e.type === 'REGISTER_OK'));

    // Frozen, 27 cannot refresh: after LAB_REGINT + 1 s its registration has surely expired.
    process.kill(callee.pid, 'SIGSTOP');
    await new Promise((resolve) => setTimeout(resolve, (LAB_REGINT + 1) * 1_000));
    // usrloc's first clean-up runs KEEP_EXPIRED_S after Kamailio started; it must not have run yet,
    // or this test would see the clean-up, not the grace.
    expect(Date.now() - started).toBeLessThan((KEEP_EXPIRED_S - 5) * 1_000);
    await dialer.command('dial', '27');
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The INVITE waits in 27's socket (Kamailio retransmits it); a registrar without the grace
    // has already answered 404 and the caller's call is closed.
    expect(callerEvents.filter((e) => e.type === 'CALL_CLOSED').map((e) => e.param)).toEqual([]);
    process.kill(callee.pid, 'SIGCONT');
    await waitFor('27 to ring', () => calleeEvents.some((e) => e.type === 'CALL_INCOMING'));
    await waitFor('25 to hear it ring', () => callerEvents.some((e) => e.type === 'CALL_RINGING'));
    expect(callerEvents.filter((e) => e.type === 'CALL_CLOSED')).toEqual([]);
    await dialer.command('hangup', '');
    await waitFor('the call to close at 27', () => calleeEvents.some((e) => e.type === 'CALL_CLOSED'));
  }, 60_000);
});

if (!SIP_AVAILABLE) {
  describe('the lab registrar', () => {
    it.skip(SIP_MISSING, () => undefined);
  });
}
