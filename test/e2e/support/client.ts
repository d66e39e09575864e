// A WebSocket client of the manager that behaves like the browser client on
// the wire: the manual's `intincall`/`connect`, the identity proof through a
// session record it creates in Dataverse as its signed-in user, then
// requests. It keeps every message with its arrival time, so tests can wait
// for one, measure latency, or prove that none came.
import { performance } from 'node:perf_hooks';
import { WebSocket } from 'ws';
import { ClientSessionRepository } from '../../../src/dataverse/repositories/client-sessions.ts';
import type { DataverseApi } from '../../../src/dataverse/web-api/types.ts';
import { createSchema } from '../../../src/dataverse/schema.ts';
import { decodeMessage, encodeMessage, type TapiMessage } from '../../../src/protocol/index.ts';
import type { WebApiUser } from './webapi.ts';

type Of<C extends TapiMessage['command']> = Extract<TapiMessage, { command: C }>;
type Waiter = { test: (m: TapiMessage) => boolean; resolve: (m: TapiMessage) => void };

const schema = createSchema();
// sessionBody() only names fields; it never touches the API it was built with.
const sessions = new ClientSessionRepository(undefined as unknown as DataverseApi, schema);

export class E2eClient {
  readonly received: { message: TapiMessage; at: number }[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: Waiter[] = [];
  private nextRequest = 0;

  private constructor(
    readonly name: string,
    readonly ws: WebSocket,
  ) {
    ws.on('message', (data: Buffer) => {
      const message = decodeMessage(data.toString('utf8'));
      this.received.push({ message, at: performance.now() });
      for (const w of [...this.waiters]) {
        if (!w.test(message)) continue;
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(message);
      }
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => undefined);
  }

  /** Opens the socket; rejects with `HTTP <status>` when the upgrade is refused. */
  static open(url: string, name: string, origin: string | undefined): Promise<E2eClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, origin === undefined ? {} : { origin });
      ws.once('open', () => resolve(new E2eClient(name, ws)));
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`HTTP ${res.statusCode}`));
        res.resume();
      });
      ws.once('error', reject);
    });
  }

  send(message: TapiMessage): void {
    this.ws.send(encodeMessage(message));
  }

  requestId(): string {
    return `${this.name}-${(this.nextRequest += 1)}`;
  }

  /** The first message, already received or still to come, that matches; fails with what did arrive. */
  next<C extends TapiMessage['command']>(command: C, match: (m: Of<C>) => boolean = () => true, timeoutMs = 5_000): Promise<Of<C>> {
    const test = (m: TapiMessage): boolean => m.command === command && match(m as Of<C>);
    const seen = this.received.find((r) => test(r.message));
    if (seen !== undefined) return Promise.resolve(seen.message as Of<C>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`${this.name}: no matching ${command} within ${timeoutMs} ms; received: ${this.describe()}`));
      }, timeoutMs);
      const waiter: Waiter = { test, resolve: (m) => { clearTimeout(timer); resolve(m as Of<C>); } };
      this.waiters.push(waiter);
    });
  }

  /** When the first matching message arrived (performance.now() ms). */
  arrival<C extends TapiMessage['command']>(command: C, match: (m: Of<C>) => boolean = () => true): number | undefined {
    return this.received.find((r) => r.message.command === command && match(r.message as Of<C>))?.at;
  }

  of<C extends TapiMessage['command']>(command: C): Of<C>[] {
    return this.received.filter((r) => r.message.command === command).map((r) => r.message as Of<C>);
  }

  notifications(callKey?: string): Of<'callNotification'>[] {
    return this.of('callNotification').filter((n) => callKey === undefined || n.callKey === callKey);
  }

  describe(): string {
    return this.received.map((r) => (r.message.command === 'callNotification' ? `callNotification(${r.message.state}${r.message.replayed ? ',replayed' : ''})` : r.message.command)).join(', ') || 'nothing';
  }

  /**
   * Everything the manager sent before this call has arrived when it resolves:
   * a heartbeat answered on the same socket comes after anything queued
   * before it (proven clients only).
   */
  async barrier(): Promise<void> {
    const before = this.of('heartbeat').length;
    this.send({ channel: 'intincall', command: 'heartbeat' });
    await this.next('heartbeat', () => this.of('heartbeat').length > before);
  }

  /** `connect` → `challenge`; the nonce to prove. */
  async connect(options: { claimedUserId?: string } = {}): Promise<string> {
    this.send({ channel: 'intincall', command: 'connect', registration: 'manuell', incallVersion: '9.0.0', incallClient: 'web', ...(options.claimedUserId ? { userid: options.claimedUserId } : {}) });
    return (await this.next('challenge')).nonce;
  }

  /** Creates the session record for `nonce` as `user` (the body comes from the session repository); its id. */
  static sessionRecord(user: WebApiUser, nonce: string, tab: string): Promise<string> {
    return user.create(sessions.entitySet, sessions.sessionBody(nonce, tab));
  }

  /** What the browser does: session record created as the signed-in user, then `prove` with its id. */
  async prove(user: WebApiUser, nonce: string, tab = this.name): Promise<Of<'welcome'>> {
    const id = await E2eClient.sessionRecord(user, nonce, tab);
    this.send({ channel: 'intincall', command: 'prove', nonce, sessionRecordId: id, clientInstanceId: tab });
    return this.next('welcome');
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    this.ws.close();
    return this.closed.then(() => undefined);
  }
}
