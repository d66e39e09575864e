// One HTTP exchange over undici (v7 on Node 20), and the translation of
// socket and TLS failures into DataverseError codes. Bodies are read fully:
// Web API pages are bounded by odata.maxpagesize.
import { Agent, request, type Dispatcher } from 'undici';
import { DataverseError } from './errors.ts';
import { describeRequest } from './odata.ts';
import type { HttpRequest, HttpResponse } from './types.ts';

export interface TlsOptions {
  /** Extra trusted CA certificates (PEM), e.g. an on-premises company CA. */
  readonly ca?: string;
}

/** A keep-alive agent for bearer-token schemes (any connection may carry any request). */
export function createAgent(tls: TlsOptions = {}): Agent {
  return new Agent({
    keepAliveTimeout: 30_000,
    connections: 16,
    connect: tls.ca === undefined ? {} : { ca: tls.ca },
  });
}

export async function sendWith(dispatcher: Dispatcher, req: HttpRequest): Promise<HttpResponse> {
  let res: Dispatcher.ResponseData;
  try {
    res = await request(req.url, {
      dispatcher,
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: req.signal,
    });
  } catch (err) {
    throw networkError(err, req);
  }
  let body: string;
  try {
    body = await res.body.text();
  } catch (err) {
    throw networkError(err, req);
  }
  return { status: res.statusCode, headers: flattenHeaders(res.headers), body };
}

export function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

// Failures that happen before a single byte of the request left this machine:
// retrying them can never duplicate a write.
const NOT_SENT = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'EADDRNOTAVAIL',
]);

const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED',
  'CERT_REVOKED', 'EPROTO', 'ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_TLS_HANDSHAKE_TIMEOUT',
]);

/** Marks errors raised before the request was sent. */
export class NotSentError extends DataverseError {}

function errorCode(err: unknown): string | undefined {
  // undici wraps the socket error: the interesting code may sit on `cause`.
  for (let e: unknown = err, depth = 0; e !== null && typeof e === 'object' && depth < 4; depth += 1) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== 'UND_ERR_SOCKET') return code;
    e = (e as { cause?: unknown }).cause;
  }
  const top = (err as { code?: unknown } | null)?.code;
  return typeof top === 'string' ? top : undefined;
}

export function networkError(err: unknown, req: Pick<HttpRequest, 'method' | 'url' | 'signal'>): DataverseError {
  if (err instanceof DataverseError) return err;
  const what = describeRequest(req.method, req.url);
  const host = safeHost(req.url);
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'AbortError' || name === 'TimeoutError' || req.signal?.aborted === true) {
    const reason: unknown = req.signal?.reason;
    const timedOut = name === 'TimeoutError' || (reason instanceof Error && reason.name === 'TimeoutError');
    return timedOut
      ? new DataverseError('timeout', `${what}: no answer from ${host} within the request timeout`, { request: what, cause: err })
      : new DataverseError('aborted', `${what}: cancelled`, { request: what, cause: err });
  }
  const code = errorCode(err) ?? 'unknown';
  if (TLS_CODES.has(code) || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
    return new NotSentError('tls', `${what}: TLS connection to ${host} failed (${code}); check the server certificate and CrmServer`, { request: what, cause: err });
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') {
    return new DataverseError('timeout', `${what}: no answer from ${host} within the request timeout (${code})`, { request: what, cause: err });
  }
  if (NOT_SENT.has(code)) {
    return new NotSentError('unreachable', `${what}: cannot reach ${host} (${code})`, { request: what, cause: err });
  }
  return new DataverseError('unreachable', `${what}: connection to ${host} failed (${code})`, { request: what, cause: err });
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the server';
  }
}
