// The `tapi` provider as the connector's composition root creates it from
// `[Provider] Kind = "tapi"`: the addon must be the Windows build on a real
// tapi32 (the Linux build runs on the fake TSP, which only tests drive).
import type { Logger } from 'pino';
import type { ConnectorConfig } from '../../config/load.ts';
import { LineProviderError } from '../../line-provider.ts';
import { loadTapiBinding, TAPI_UNAVAILABLE } from './binding.ts';
import type { TapiBinding } from './binding.ts';
import { TapiLineProvider } from './tapi-provider.ts';

export { TapiLineProvider } from './tapi-provider.ts';
export { TAPI_UNAVAILABLE, loadTapiBinding } from './binding.ts';

export function createTapiProvider(config: ConnectorConfig, log: Logger, binding: TapiBinding = loadTapiBinding()): TapiLineProvider {
  const p = config.Provider;
  if (p.Kind !== 'tapi') throw new LineProviderError('invalid-state', `Provider.Kind is ${p.Kind}, not tapi`);
  if (binding.platform !== 'win32') throw new LineProviderError('provider-down', `${TAPI_UNAVAILABLE} (this build of the addon runs on the fake TSP, for tests only)`);
  const trace = log.child({ provider: 'tapi' });
  log.info({ appName: p.AppName, video: config.IncludeMediaTypeVideo }, 'TAPI provider: opening the lines of the installed TSPs');
  return new TapiLineProvider({
    binding,
    appName: p.AppName,
    includeVideo: config.IncludeMediaTypeVideo,
    requestTimeoutMs: p.RequestTimeout * 1000,
    // LogLevel 6 ("details of all results and timers") shows every TAPI message and request.
    trace: (record) => trace.debug(record, `tapi ${record.what}`),
  });
}
