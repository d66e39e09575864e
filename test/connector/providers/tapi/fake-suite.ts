// What every test file of the tapi provider on the fake TSP sets up: the addon
// built and loaded once, harnesses disposed after each test, and a provider
// opened on a simulated PBX with its events collected.
import { pino } from 'pino';
import { afterEach, beforeAll } from 'vitest';
import { ConnectorService } from '../../../../src/connector/service.ts';
import type { ProviderEvent } from '../../../../src/connector/line-provider.ts';
import type { FakeTspControl, TapiBinding } from '../../../../src/connector/providers/tapi/binding.ts';
import type { PbxOptions } from '../../../../simulator/pbx/pbx.ts';
import { fakeTapiBinding, NATIVE_BUILD_TIMEOUT_MS } from '../../../support/native-addon.ts';
import { tapiHarness } from '../../provider-contract/tapi-harness.ts';
import type { FakeManager } from '../../support/fake-manager.ts';
import { connectorConfig } from '../../support/harness.ts';
import type { TapiHarness } from '../../provider-contract/tapi-harness.ts';

export type CallEvent = Extract<ProviderEvent, { type: 'call' }>;

/** The call events of `events`, of one call when `callId` is given. */
export const callEvents = (events: readonly ProviderEvent[], callId?: string): CallEvent[] =>
  events.filter((e): e is CallEvent => e.type === 'call' && (callId === undefined || e.callId === callId));

/** The LINEERR_* a TAPI function of the addon's session threw (0: it returned). */
export function tapiResult(fn: () => unknown): number | undefined {
  try {
    fn();
    return 0;
  } catch (err) {
    return (err as { tapiResult?: number }).tapiResult;
  }
}

export interface FakeTapiSuite {
  /** The addon on the fake TSP; set before the first test runs. */
  readonly binding: TapiBinding & FakeTspControl;
  /** Harnesses disposed after the current test. */
  readonly open: TapiHarness[];
  /** A harness on a PBX with `pbxOptions`, its provider subscribed and opened. */
  started(pbxOptions: Omit<PbxOptions, 'clock'>): Promise<{ h: TapiHarness; events: ProviderEvent[] }>;
}

/** Registers the file's beforeAll / afterEach; call at the top level of a test file. */
export function fakeTapiSuite(): FakeTapiSuite {
  let binding: (TapiBinding & FakeTspControl) | undefined;
  const open: TapiHarness[] = [];
  beforeAll(async () => {
    binding = await fakeTapiBinding();
  }, NATIVE_BUILD_TIMEOUT_MS);
  afterEach(async () => {
    for (const h of open.splice(0)) await h.dispose();
  });
  const suite: FakeTapiSuite = {
    get binding() {
      if (binding === undefined) throw new Error('the fake TSP addon is loaded in beforeAll');
      return binding;
    },
    open,
    async started(pbxOptions) {
      const h = tapiHarness(suite.binding, pbxOptions);
      open.push(h);
      const events: ProviderEvent[] = [];
      h.provider.subscribe((e) => events.push(e));
      await h.provider.open();
      return { h, events };
    },
  };
  return suite;
}

/** The connector service as the CLI composes it, on the harness's tapi provider, linked to `manager`; backoffs shortened. */
export function tapiConnectorService(h: TapiHarness, manager: FakeManager): ConnectorService {
  return new ConnectorService({
    config: connectorConfig(manager, { Provider: { Kind: 'tapi' } }),
    provider: h.provider,
    logger: pino({ level: 'silent' }),
    version: '0.1.0',
    random: () => 0.5,
    reconnectBackoff: { baseMs: 10, capMs: 40 },
    reopenBackoff: { baseMs: 10, capMs: 40 },
    flushTimeoutMs: 1_000,
  });
}
