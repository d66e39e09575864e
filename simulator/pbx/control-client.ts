// The client side of the control endpoint, for `crm-tapi simulate call` and
// tests: one request, a typed error for every way it can go wrong.
import { CrmTapiError } from '../../src/protocol/errors.ts';

export class ControlClientError extends CrmTapiError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function controlRequest(baseUrl: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
  const unreachable = (): ControlClientError =>
    new ControlClientError('pbx-unreachable', `no simulated PBX answers at ${baseUrl} — start it with crm-tapi simulate pbx`);
  let res: Response;
  try {
    res = await fetch(new URL(path, baseUrl), {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(5000),
    });
  } catch {
    throw unreachable();
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text === '' ? undefined : JSON.parse(text);
  } catch {
    throw unreachable();
  }
  if (!res.ok) {
    const error = (json as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    if (typeof error?.code === 'string' && typeof error.message === 'string') throw new ControlClientError(error.code, error.message);
    throw unreachable();
  }
  return json;
}
