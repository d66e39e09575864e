// The operator's side of the `diagnose` channel (crm-tapi diagnose): connect
// to the manager's WebSocket port, send the request, answer the challenge
// with the operator proof (HMAC of the nonce under DiagnoseKey, so the key
// never travels), and return the report or the refresh result.
import WebSocket from 'ws';
import { decodeMessage, encodeMessage, ProtocolError, type DiagnoseReportMessage, type OutboxResultMessage, type RefreshResultMessage, type TapiMessage } from '../protocol/index.ts';
import { CrmTapiError } from '../protocol/errors.ts';
import { OPERATOR_SESSION_RECORD_ID } from './contracts.ts';
import { operatorProof } from './operator-proof.ts';

export type DiagnoseClientErrorCode = 'invalid-url' | 'unreachable' | 'timeout' | 'refused' | 'bad-reply';

export class DiagnoseClientError extends CrmTapiError {
  constructor(
    readonly code: DiagnoseClientErrorCode,
    message: string,
    /** The manager's own error code when it refused (e.g. proof-failed). */
    readonly managerCode?: string,
  ) {
    super(message);
  }
}

export interface DiagnoseRequest {
  /** ws:// or wss:// URL of the manager's WebSocket port. */
  url: string;
  /** DiagnoseKey of the manager's configuration. */
  key: string;
  action: 'diagnose' | 'refresh' | 'outboxRetry' | 'outboxDrop';
  /** outboxRetry/outboxDrop: the dead letter; outboxRetry also takes `all`. */
  id?: string;
  all?: boolean;
  timeoutMs?: number;
  /** PEM CA certificate(s) to trust for wss://. */
  ca?: string | Buffer;
}

export type DiagnoseAnswer = DiagnoseReportMessage | RefreshResultMessage | OutboxResultMessage;

/** Reports carry one element per socket: larger than one protocol document may be. */
const MAX_REPLY_BYTES = 4 * 1024 * 1024;

export function parseManagerUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new DiagnoseClientError('invalid-url', `--manager "${text.slice(0, 200)}" is not a URL; use ws://host:8080 or wss://host:8080`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new DiagnoseClientError('invalid-url', `--manager must be a ws:// or wss:// URL, got ${url.protocol}//`);
  }
  return url;
}

function requestMessage(request: DiagnoseRequest): TapiMessage {
  const requestId = 'cli-1';
  switch (request.action) {
    case 'refresh':
      return { channel: 'diagnose', command: 'refreshPhoneNumbers', requestId };
    case 'outboxRetry':
      return { channel: 'diagnose', command: 'outboxRetry', requestId, ...(request.id === undefined ? {} : { id: request.id }), ...(request.all ? { all: true } : {}) };
    case 'outboxDrop':
      return { channel: 'diagnose', command: 'outboxDrop', requestId, id: request.id ?? '' };
    default:
      return { channel: 'diagnose', command: 'diagnose', requestId };
  }
}

export function requestDiagnose(request: DiagnoseRequest): Promise<DiagnoseAnswer> {
  const url = parseManagerUrl(request.url);
  const timeoutMs = request.timeoutMs ?? 15_000;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: MAX_REPLY_BYTES, handshakeTimeout: timeoutMs, ...(request.ca ? { ca: request.ca } : {}) });
    let settled = false;
    const finish = (err: DiagnoseClientError | undefined, answer?: DiagnoseAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.close();
      ws.terminate();
      if (err) reject(err);
      else resolve(answer as DiagnoseAnswer);
    };
    const timer = setTimeout(() => finish(new DiagnoseClientError('timeout', `the manager at ${url.host} did not answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
    const send = (message: TapiMessage): void => ws.send(encodeMessage(message));
    ws.on('open', () => {
      send(requestMessage(request));
    });
    ws.on('message', (data: Buffer) => {
      let message: TapiMessage;
      try {
        message = decodeMessage(data.toString('utf8'), { limits: { maxDocumentBytes: MAX_REPLY_BYTES, maxElements: 200_000 } });
      } catch (err) {
        const code = err instanceof ProtocolError ? err.code : 'error';
        finish(new DiagnoseClientError('bad-reply', `the manager sent something unreadable (${code}): ${(err as Error).message}`));
        return;
      }
      if (message.channel !== 'diagnose') return;
      switch (message.command) {
        case 'challenge':
          send({ channel: 'diagnose', command: 'prove', nonce: message.nonce, sessionRecordId: OPERATOR_SESSION_RECORD_ID, clientInstanceId: operatorProof(request.key, message.nonce) });
          return;
        case 'diagnoseReport':
        case 'refreshResult':
        case 'outboxResult':
          finish(undefined, message);
          return;
        case 'error':
          finish(new DiagnoseClientError('refused', `the manager refused: ${message.code}: ${message.message}`, message.code));
          return;
        default:
          return;
      }
    });
    ws.on('unexpected-response', (_req, res) => finish(new DiagnoseClientError('refused', `the manager refused the WebSocket upgrade (HTTP ${res.statusCode ?? '?'})`)));
    ws.on('error', (err: NodeJS.ErrnoException) => finish(new DiagnoseClientError('unreachable', `cannot reach the manager at ${url.host} (${err.code ?? 'error'}: ${err.message})`)));
    ws.on('close', () => finish(new DiagnoseClientError('unreachable', `the manager at ${url.host} closed the connection before answering`)));
  });
}
