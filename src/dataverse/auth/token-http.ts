// HTTP for token endpoints (Entra ID through msal-node, AD FS): the same
// undici agent and CA trust as the Web API, so a company CA or the
// simulator's test CA is honoured and socket failures get the same codes.
import type { Dispatcher } from 'undici';
import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import { DataverseError } from '../web-api/errors.ts';
import { sendWith } from '../web-api/transport.ts';

const TOKEN_TIMEOUT_MS = 30_000;

/**
 * msal wraps transport failures into its own `network_error` and drops the
 * cause, so `onError` hands ours (tls, unreachable, timeout) to the caller.
 */
export function msalNetworkClient(dispatcher: Dispatcher, onError: (err: DataverseError) => void = () => undefined): INetworkModule {
  const call = async <T>(method: 'GET' | 'POST', url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> => {
    let res;
    try {
      res = await sendWith(dispatcher, {
        method,
        url,
        headers: options?.headers ?? {},
        body: options?.body,
        signal: AbortSignal.timeout(timeout ?? TOKEN_TIMEOUT_MS),
      });
    } catch (err) {
      if (err instanceof DataverseError) onError(err);
      throw err;
    }
    let body: unknown = {};
    try {
      body = res.body === '' ? {} : (JSON.parse(res.body) as unknown);
    } catch {
      // msal reports an unparseable answer itself; hand it an empty object
    }
    return { headers: res.headers, body: body as T, status: res.status };
  };
  return {
    sendGetRequestAsync: (url, options, timeout) => call('GET', url, options, timeout),
    sendPostRequestAsync: (url, options) => call('POST', url, options),
  };
}
