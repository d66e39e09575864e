// A WebSocket test client speaking the intincall/diagnose channels: it keeps
// every message it receives so tests can wait for one or assert that none came.
import { WebSocket } from 'ws';
import { createRepositories } from '../../../../src/dataverse/repositories/index.ts';
import type { Schema } from '../../../../src/dataverse/schema.ts';
import type { DataverseApi } from '../../../../src/dataverse/web-api/types.ts';
import { decodeMessage, encodeMessage, type TapiMessage } from '../../../../src/protocol/index.ts';

type Waiter = { match: (m: TapiMessage) => boolean; resolve: (m: TapiMessage) => void };

export class TestClient {
  readonly received: TapiMessage[] = [];
  private waiters: Waiter[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const m = decodeMessage(data.toString('utf8'));
      this.received.push(m);
      for (const w of [...this.waiters]) {
        if (w.match(m)) {
          this.waiters = this.waiters.filter((x) => x !== w);
          w.resolve(m);
        }
      }
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
    ws.on('error', () => undefined);
  }

  /** `autoPong: false` makes a client that never answers the manager's pings (a dead peer whose socket stays open). */
  static open(url: string, origin?: string, options: { autoPong?: boolean } = {}): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { ...(origin === undefined ? {} : { origin }), ...options });
      ws.once('open', () => resolve(new TestClient(ws)));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  send(m: TapiMessage): void {
    this.ws.send(encodeMessage(m));
  }

  sendRaw(text: string): void {
    this.ws.send(text);
  }

  /** The first message (already received or coming) that matches. */
  next<C extends TapiMessage['command']>(command: C, match: (m: Extract<TapiMessage, { command: C }>) => boolean = () => true, timeoutMs = 4000): Promise<Extract<TapiMessage, { command: C }>> {
    const test = (m: TapiMessage): boolean => m.command === command && match(m as Extract<TapiMessage, { command: C }>);
    const seen = this.received.find(test);
    if (seen !== undefined) return Promise.resolve(seen as Extract<TapiMessage, { command: C }>);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${command} within ${timeoutMs} ms; got ${this.received.map((r) => r.command).join(',')}`)), timeoutMs);
      this.waiters.push({ match: test, resolve: (m) => { clearTimeout(timer); resolve(m as Extract<TapiMessage, { command: C }>); } });
    });
  }

  of<C extends TapiMessage['command']>(command: C): Extract<TapiMessage, { command: C }>[] {
    return this.received.filter((m) => m.command === command) as Extract<TapiMessage, { command: C }>[];
  }

  /** connect → challenge → session record created as the user → prove → welcome. */
  async signIn(userApi: DataverseApi, schema: Schema, options: { claimedUserId?: string; tab?: string; channel?: 'intincall' | 'outcall'; incallClient?: string } = {}): Promise<Extract<TapiMessage, { command: 'welcome' }>> {
    this.send({ channel: options.channel ?? 'intincall', command: 'connect', registration: 'manuell', incallVersion: '9.0.0', incallClient: options.incallClient ?? 'web', ...(options.claimedUserId ? { userid: options.claimedUserId } : {}) } as TapiMessage);
    const challenge = await this.next('challenge');
    const tab = options.tab ?? 'tab-1';
    const id = await createRepositories(userApi, schema).sessions.create(challenge.nonce, tab);
    this.send({ channel: 'intincall', command: 'prove', nonce: challenge.nonce, sessionRecordId: id, clientInstanceId: tab });
    return this.next('welcome');
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    this.ws.close();
    return this.closed.then(() => undefined);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
