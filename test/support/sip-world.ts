// A small real SIP world for tests: Kamailio on a free loopback port, the
// provider under test with its own baresip (extension 25 unless told), and
// "the world" — another SipLineProvider with extension 26, the trunk
// (`gateway`) and an external caller (+49301234567) — that the test drives
// to ring, answer and hang up like people would.
import { existsSync } from 'node:fs';
import { SipLineProvider } from '../../src/connector/providers/sip/provider.ts';
import type { SipProviderOptions } from '../../src/connector/providers/sip/provider.ts';
import { DEFAULT_BARESIP } from '../../src/connector/providers/sip/baresip-process.ts';
import { DEFAULT_KAMAILIO, GATEWAY_USER, startKamailio } from '../../src/lab/kamailio.ts';
import type { InviteTrace, RunningKamailio } from '../../src/lab/kamailio.ts';
import type { ProviderEvent } from '../../src/connector/line-provider.ts';
import { labAccount } from '../../src/lab/lab.ts';

export const SIP_AVAILABLE = existsSync(DEFAULT_BARESIP) && existsSync(DEFAULT_KAMAILIO);
export const SIP_MISSING = 'baresip-core and kamailio are not installed (apt-get install --no-install-recommends baresip-core kamailio); .ci/run installs them';
// In CI the SIP tests must run, not skip: .ci/run installs both, so their absence is a broken install.
if (!SIP_AVAILABLE && process.env['CI'] !== undefined) throw new Error(`CI: ${SIP_MISSING}`);

/** The lab's account lines: a short registration refresh, so a restarted registrar knows the phones again within seconds. */
export const account = labAccount;

export interface SipWorld {
  readonly kamailio: RunningKamailio;
  readonly provider: SipLineProvider;
  readonly world: SipLineProvider;
  readonly providerEvents: ProviderEvent[];
  readonly worldEvents: ProviderEvent[];
  restartKamailio(downMs: number): Promise<void>;
  dispose(): Promise<void>;
}

export async function startSipWorld(options: { lines?: readonly string[]; provider?: Partial<SipProviderOptions>; open?: boolean; onInvite?: (trace: InviteTrace) => void } = {}): Promise<SipWorld> {
  let kamailio = await startKamailio(options.onInvite === undefined ? {} : { onInvite: options.onInvite });
  const domain = kamailio.domain;
  const lines = options.lines ?? ['25'];
  const provider = new SipLineProvider({ phones: [{ accounts: lines.map((l) => account(l, domain)) }], ...options.provider });
  const world = new SipLineProvider({ phones: [{ accounts: ['26', GATEWAY_USER, '+49301234567'].map((u) => account(u, domain)) }] });
  const providerEvents: ProviderEvent[] = [];
  const worldEvents: ProviderEvent[] = [];
  provider.subscribe((e) => providerEvents.push(e));
  world.subscribe((e) => worldEvents.push(e));
  try {
    await world.open();
    if (options.open !== false) await provider.open();
  } catch (err) {
    await Promise.all([provider.close(), world.close()]);
    await kamailio.stop();
    throw err;
  }
  return {
    get kamailio() {
      return kamailio;
    },
    provider,
    world,
    providerEvents,
    worldEvents,
    async restartKamailio(downMs) {
      const port = kamailio.port;
      await kamailio.stop();
      await new Promise((resolve) => setTimeout(resolve, downMs));
      kamailio = await startKamailio({ port });
    },
    async dispose() {
      await Promise.all([provider.close(), world.close()]);
      await kamailio.stop();
    },
  };
}

/** Waits until `predicate` holds over the events, polling; fails with `what` after `ms`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until no event arrived for `quietMs` (at least `minMs`, at most `maxMs`). */
export async function settle(events: readonly unknown[], minMs: number, quietMs = 300, maxMs = 10_000): Promise<void> {
  const start = Date.now();
  let count = events.length;
  let lastChange = Date.now();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    if (events.length !== count) {
      count = events.length;
      lastChange = Date.now();
    }
    const now = Date.now();
    if ((now - start >= minMs && now - lastChange >= quietMs) || now - start >= maxMs) return;
  }
}
