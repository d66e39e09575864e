// `Kind = "tapi"` as the connector's composition root builds it: at LogLevel 6
// (pino debug) every TAPI message and request is in the log.
import { pino } from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { validateConnectorConfig } from '../../../../src/connector/config/load.ts';
import type { FakeTspControl, TapiBinding } from '../../../../src/connector/providers/tapi/binding.ts';
import { createTapiProvider } from '../../../../src/connector/providers/tapi/index.ts';
import { VirtualClock } from '../../../../simulator/pbx/clock.ts';
import { SimulatedPbx } from '../../../../simulator/pbx/pbx.ts';
import { TspFeed } from '../../../../simulator/pbx/tsp-feed.ts';
import { LogCapture } from '../../support/harness.ts';
import { fakeTapiBinding, NATIVE_BUILD_TIMEOUT_MS } from '../../../support/native-addon.ts';

let binding: TapiBinding & FakeTspControl;
beforeAll(async () => {
  binding = await fakeTapiBinding();
}, NATIVE_BUILD_TIMEOUT_MS);

const config = (extra: Record<string, unknown>) =>
  validateConnectorConfig({ CRMTapiManagerServer: '127.0.0.1', ConnectorKey: 'trace-test-connector-key-01', Provider: { Kind: 'tapi' }, ...extra }, 'test', { baseDir: '/' });

describe('the tapi provider from the configuration', () => {
  it.skipIf(process.platform === 'win32')('refuses the fake TSP build outside tests', () => {
    expect(() => createTapiProvider(config({}), pino({ level: 'silent' }), binding)).toThrow(/needs Windows/);
  });

  it('at LogLevel 6 logs every TAPI message and request', async () => {
    const logs = new LogCapture();
    const logger = pino({ level: 'debug' }, logs);
    // The Windows build is what production loads; the fake build stands in for it here.
    const provider = createTapiProvider(config({ LogLevel: 6, Provider: { Kind: 'tapi', AppName: 'trace test', RequestTimeout: 3 } }), logger, { ...binding, platform: 'win32' });
    const pbx = new SimulatedPbx({ clock: new VirtualClock(), lines: ['20'] });
    const feed = new TspFeed(pbx, binding);
    try {
      await provider.open();
      await provider.makeCall('20', '030 123');
      await feed.settle(() => provider.messagesHandled());
    } finally {
      await provider.close();
      feed.close();
      pbx.close();
    }
    const records = logs.records;
    expect(records.find((r) => r.msg === 'tapi line opened')).toMatchObject({ line: '20', provider: 'crm-tapi fake TSP' });
    expect(records.find((r) => r.msg === 'tapi request')).toMatchObject({ function: 'lineMakeCallW' });
    expect(records.filter((r) => r.msg === 'tapi message').map((r) => r.message)).toEqual(expect.arrayContaining([12, 2]));
  });
});
