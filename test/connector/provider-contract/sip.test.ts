// The SIP provider over real SIP: Kamailio and baresip on loopback. The world's
// phones play the outside callers; `advance` waits until the phones are quiet,
// and a long `advance` (a caller's patience) makes the outside caller give up.
// Numbers no phone owns reach the world's trunk (`gateway`); a call the world's
// own phones place there is a transferee calling the transfer target, and the
// target answers it, as a person would.
import { describe, it } from 'vitest';
import { providerContract } from './contract.ts';
import type { ProviderHarness } from './contract.ts';
import { GATEWAY_USER } from '../../../src/lab/kamailio.ts';
import { SIP_AVAILABLE, SIP_MISSING, settle, startSipWorld, waitFor } from '../../support/sip-world.ts';

/** How long an outside caller lets a phone ring before hanging up. */
const CALLER_PATIENCE_MS = 30_000;

async function sipHarness(): Promise<ProviderHarness> {
  const w = await startSipWorld({ open: false });
  const worldLine = (number: string) => w.world.lines().find((l) => l.address === number.replace(/[\s-]/g, ''))?.name ?? '26';
  const worldNumbers = new Set(w.world.lines().map((l) => l.address));
  w.world.subscribe((e) => {
    if (e.type === 'call' && e.line === GATEWAY_USER && e.state === 'offering' && worldNumbers.has(e.caller?.number ?? '')) {
      void w.world.answer(e.callId).catch(() => undefined);
    }
  });
  return {
    provider: w.provider,
    async ringInbound(line, from) {
      const before = w.providerEvents.length;
      await w.world.makeCall(worldLine(from), line);
      await waitFor(`an offering on ${line}`, () => w.providerEvents.slice(before).some((e) => e.type === 'call' && e.line === line && e.state === 'offering'));
    },
    async advance(ms) {
      if (ms >= CALLER_PATIENCE_MS) {
        for (const call of w.world.activeCalls()) await w.world.drop(call.callId).catch(() => undefined);
      }
      await settle(w.providerEvents, Math.min(ms, 200));
    },
    dispose: () => w.dispose(),
  };
}

if (SIP_AVAILABLE) {
  providerContract('sip (baresip on Kamailio)', sipHarness);
} else {
  describe('LineProvider contract: sip', () => {
    it.skip(SIP_MISSING, () => undefined);
  });
}
