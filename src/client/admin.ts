// The browser's side of the `diagnose` channel (spec/protocol.md): the diagnose
// page sends its request, answers the manager's challenge with a session record
// created as the signed-in user (the same identity proof every form uses; no
// key travels), and resolves with the report or the refresh result. The
// manager answers only proven admins; its refusal becomes a ClientError.
import { decodeMessage, encodeMessage, ProtocolError, type DiagnoseReportMessage, type RefreshResultMessage, type TapiMessage } from '../protocol/index.ts';
import type { SocketLike } from './connection.ts';
import { ClientError } from './errors.ts';

export type AdminAction = 'diagnose' | 'refresh';
export type AdminAnswer = DiagnoseReportMessage | RefreshResultMessage;

export interface AdminRequestOptions {
  url: string;
  action: AdminAction;
  createSocket: (url: string) => SocketLike;
  /** Creates the session record as the signed-in user; resolves with its id. */
  createSession: (nonce: string, clientInstanceId: string) => Promise<string>;
  clientInstanceId: string;
  timeoutMs?: number;
}

/** Sends one admin request and settles once: with the answer, the manager's refusal, a loss or the timeout. */
export function adminRequest(o: AdminRequestOptions): Promise<AdminAnswer> {
  const requestId = `a-${o.action}`;
  return new Promise((resolve, reject) => {
    let settled = false;
    let socket: SocketLike;
    const finish = (err: ClientError | undefined, answer?: AdminAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        socket.close(1000, 'done');
      } catch {
        // already closing
      }
      if (err) reject(err);
      else resolve(answer as AdminAnswer);
    };
    const timer = setTimeout(() => finish(new ClientError('request-timeout', 'the manager did not answer in time')), o.timeoutMs ?? 30_000);
    const send = (m: TapiMessage): void => socket.send(encodeMessage(m));
    try {
      socket = o.createSocket(o.url);
    } catch (err) {
      clearTimeout(timer);
      reject(new ClientError('not-connected', `could not connect to ${o.url}: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    socket.addEventListener('open', () => {
      send(o.action === 'refresh' ? { channel: 'diagnose', command: 'refreshPhoneNumbers', requestId } : { channel: 'diagnose', command: 'diagnose', requestId });
    });
    socket.addEventListener('message', (event) => {
      if (typeof event.data !== 'string') return;
      let m: TapiMessage;
      try {
        // A report lists every socket: larger than the default document limit.
        m = decodeMessage(event.data, { limits: { maxDocumentBytes: 4 * 1024 * 1024, maxElements: 200_000 } });
      } catch (err) {
        finish(new ClientError('crm-request-failed', `unreadable answer from the manager: ${err instanceof ProtocolError ? err.code : String(err)}`));
        return;
      }
      if (m.channel !== 'diagnose') return;
      if (m.command === 'challenge') {
        o.createSession(m.nonce, o.clientInstanceId).then(
          (sessionRecordId) => send({ channel: 'diagnose', command: 'prove', nonce: m.nonce, sessionRecordId, clientInstanceId: o.clientInstanceId }),
          (err: unknown) => finish(new ClientError('not-connected', `the session record could not be created: ${err instanceof Error ? err.message : String(err)}`)),
        );
      } else if (m.command === 'diagnoseReport' || m.command === 'refreshResult') finish(undefined, m);
      else if (m.command === 'error') finish(new ClientError(m.code === 'not-admin' ? 'not-admin' : 'refused', `${m.code}: ${m.message}`));
    });
    socket.addEventListener('close', (event) => finish(new ClientError('not-connected', `the manager closed the connection before answering (${event.code ?? 0}${event.reason ? `: ${event.reason}` : ''})`)));
    socket.addEventListener('error', () => finish(new ClientError('not-connected', `could not connect to ${o.url}`)));
  });
}
