// Simulated agents: what a browser client does on the wire, in Node, for the
// demo stack and `crm-tapi replay --through-stack`. An agent signs in to the
// simulated Dataverse with the password grant (TEST-ONLY credentials from
// fixtures/crm/directory.json), opens the manager's WebSocket, sends the
// manual's `connect`, proves who it is with a session record created as
// itself, and then keeps every call notification it receives.
import { WebSocket } from 'ws';
import { ClientSessionRepository } from '../src/dataverse/repositories/client-sessions.ts';
import { createSchema } from '../src/dataverse/schema.ts';
import type { DataverseApi } from '../src/dataverse/web-api/types.ts';
import { decodeMessage, encodeMessage, type TapiMessage } from '../src/protocol/index.ts';
import type { SimulatedDataverse } from './dataverse/index.ts';

/** The sample public client that may use the password grant (docs/simulated-dataverse.md). */
const ROPC_CLIENT_ID = '51f81489-12ee-4a9e-aaae-a2591f45987d';
const schema = createSchema();
// sessionBody() only names fields; it never touches the API it was built with.
const sessions = new ClientSessionRepository(undefined as unknown as DataverseApi, schema);

export type CallNotification = Extract<TapiMessage, { command: 'callNotification' }>;

export interface Agent {
  readonly upn: string;
  readonly notifications: CallNotification[];
  /** Resolves once everything the manager sent before this call has arrived (heartbeat round trip). */
  barrier(): Promise<void>;
  close(): Promise<void>;
}

async function token(dv: SimulatedDataverse, upn: string, password: string): Promise<string> {
  const res = await fetch(dv.tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', client_id: ROPC_CLIENT_ID, username: upn, password, scope: `${dv.url}/user_impersonation openid` }),
  });
  const json = (await res.json()) as { access_token?: string };
  if (!res.ok || json.access_token === undefined) throw new Error(`sign-in of ${upn} failed: HTTP ${res.status}`);
  return json.access_token;
}

async function createSession(dv: SimulatedDataverse, bearer: string, nonce: string, tab: string): Promise<string> {
  const res = await fetch(`${dv.orgWebApiUrl}${schema.clientSession.entitySet}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json', Accept: 'application/json', 'OData-Version': '4.0' },
    body: JSON.stringify(sessions.sessionBody(nonce, tab)),
  });
  const id = /\(([0-9a-f-]{36})\)$/i.exec(res.headers.get('OData-EntityId') ?? '')?.[1];
  if (!res.ok || id === undefined) throw new Error(`the session record was refused: HTTP ${res.status}`);
  return id;
}

export async function signInAgent(o: { dv: SimulatedDataverse; webSocketUrl: string; upn: string; password: string; timeoutMs?: number }): Promise<Agent> {
  const bearer = await token(o.dv, o.upn, o.password);
  const ws = new WebSocket(o.webSocketUrl, { origin: new URL(o.dv.url).origin });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('error', () => undefined);
  const received: TapiMessage[] = [];
  const waiters: { test: (m: TapiMessage) => boolean; resolve: (m: TapiMessage) => void }[] = [];
  ws.on('message', (data: Buffer) => {
    const message = decodeMessage(data.toString('utf8'));
    received.push(message);
    for (const w of [...waiters]) {
      if (!w.test(message)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(message);
    }
  });
  const next = (test: (m: TapiMessage) => boolean, what: string): Promise<TapiMessage> => {
    const seen = received.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${o.upn}: no ${what} within ${o.timeoutMs ?? 10_000} ms`)), o.timeoutMs ?? 10_000);
      waiters.push({ test, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  };
  const send = (m: TapiMessage) => ws.send(encodeMessage(m));
  send({ channel: 'intincall', command: 'connect', registration: 'manuell', incallVersion: '9.0.0', incallClient: 'web' });
  const challenge = (await next((m) => m.command === 'challenge', 'challenge')) as Extract<TapiMessage, { command: 'challenge' }>;
  const tab = `agent-${o.upn}`;
  const sessionRecordId = await createSession(o.dv, bearer, challenge.nonce, tab);
  send({ channel: 'intincall', command: 'prove', nonce: challenge.nonce, sessionRecordId, clientInstanceId: tab });
  await next((m) => m.command === 'welcome', 'welcome');
  let beats = 0;
  return {
    upn: o.upn,
    get notifications() {
      return received.filter((m): m is CallNotification => m.command === 'callNotification');
    },
    async barrier() {
      const target = (beats += 1);
      send({ channel: 'intincall', command: 'heartbeat' });
      await next(() => received.filter((m) => m.command === 'heartbeat').length >= target, 'heartbeat');
    },
    close: () =>
      new Promise<void>((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once('close', () => resolve());
        ws.close();
      }),
  };
}
