// The outbox's deliveries on a thread of their own. Each record is an HTTPS
// request to Dataverse: the HTTP client, TLS and JSON of it cost the event
// loop about 200 µs per record, and a call makes two records, so on the main
// thread they made popups wait (issue 18: main-thread work per popup 1,743 µs
// with them, 1,335 µs with this worker, docs/performance-history.md, eighteenth stop). Here the main
// thread only posts the write and takes the outcome back. Both directions
// travel in batches (a burst of writes, a worker turn's answers): two message
// events per record on the popups' loop were the next cost after the HTTP client.
//
// The worker has its own connection from the same settings (with a bearer
// sign-in it borrows the main thread's token: `tokens`), sends through the
// same transport, and its answers are judged by
// the outbox's usual policy: nothing about delivery changes but the thread.
// When the worker cannot start or dies, the writes it held fail with an
// ordinary error (the outbox keeps them and tries again: a create-only upsert
// never makes a second record) and delivery goes on on the main thread, with
// the main thread's client, from then on; the error log says so once.
import { Worker } from 'node:worker_threads';
import { BACKGROUND_MODULE_WORKER_BOOT, moduleWorkerData, siblingModule } from '../../platform/module-worker.ts';
import { publishAttempt } from '../web-api/diagnostics.ts';
import type { DataverseLogger, RetryPolicy } from '../web-api/types.ts';
import type { AccessToken } from '../auth/bearer.ts';
import { fromSent, toSent, type DeliveryConnection, type DeliveryReply, type DeliveryRequest, type DeliveryWorkerData } from './delivery-worker-protocol.ts';
import type { OutboxTransport } from './transport.ts';
import type { OutboxWrite } from './store.ts';

export interface DeliveryWorkerOptions {
  /** How the worker connects: the manager's settings (its own sign-in), or a fixed token (benches, tests). */
  readonly connection: DeliveryConnection;
  readonly retry?: Partial<RetryPolicy>;
  readonly env?: NodeJS.ProcessEnv;
  /** Where the worker's client logs, and where its failure is reported. */
  readonly logger: DataverseLogger;
  /**
   * The main thread's bearer sign-in (MSAL, AD FS): the worker asks it for tokens instead of signing in itself, so
   * the process holds one token and renews it once after a 401. Absent (NTLM, a fixed token): the worker's own.
   */
  readonly tokens?: { access(staleToken?: string): Promise<AccessToken> };
  /** Delivers on the main thread once the worker has failed. */
  readonly fallback: OutboxTransport;
  /** The worker's module (tests); default delivery-worker-entry beside this one. */
  readonly entry?: string;
}

interface Pending {
  resolve(outcome: 'created' | 'exists'): void;
  reject(error: Error): void;
}

export class DeliveryWorker implements OutboxTransport {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure: string | undefined;
  private closing = false;
  /** Requests of this synchronous burst, posted together at its end (one message for the worker, not one per write). */
  private outgoing: DeliveryRequest[] = [];
  #messagesIn = 0;
  private readonly exited: Promise<void>;
  private settleReady: (connected: boolean) => void = () => undefined;
  /**
   * Settles once the worker has connected (true) or failed (false: deliveries go through the fallback). Delivering
   * needs no wait — writes posted before are queued in the worker — but a caller that wants the worker's start
   * (loading its modules, connecting) behind it can wait for this.
   */
  readonly ready: Promise<boolean> = new Promise((resolve) => {
    this.settleReady = resolve;
  });

  constructor(private readonly o: DeliveryWorkerOptions) {
    const data: DeliveryWorkerData = {
      connection: o.connection,
      ...moduleWorkerData(o.entry ?? siblingModule('delivery-worker-entry', import.meta.url)),
      ...(o.retry === undefined ? {} : { retry: o.retry }),
      ...(o.tokens === undefined ? {} : { sharedTokens: true }),
      ...(o.env === undefined ? {} : { env: { ...o.env } }),
    };
    // At the background threads' priority, as the SQLite workers: a delivery can wait, a popup should not.
    this.worker = new Worker(BACKGROUND_MODULE_WORKER_BOOT, { workerData: data });
    this.worker.unref(); // never what keeps a process alive
    this.worker.on('message', (reply: DeliveryReply) => {
      this.#messagesIn += 1;
      this.answer(reply);
    });
    this.worker.on('error', (err) => this.fail(`the delivery worker failed: ${err.message}`));
    this.exited = new Promise((resolve) => this.worker.once('exit', (code) => {
      this.fail(`the delivery worker exited with code ${code}`);
      resolve();
    }));
  }

  /** Messages taken from the worker (a batch counts once): how often it woke the event loop (tests, diagnostics). */
  get messagesIn(): number {
    return this.#messagesIn;
  }

  /** True while deliveries go through the worker (false once it failed: they go through the fallback). */
  get onWorker(): boolean {
    return this.failure === undefined;
  }

  deliver(write: OutboxWrite): Promise<'created' | 'exists'> {
    if (this.failure !== undefined) return this.o.fallback.deliver(write);
    return new Promise((resolve, reject) => {
      this.nextId += 1;
      const id = this.nextId;
      this.pending.set(id, { resolve, reject });
      this.post({ type: 'deliver', id, write });
    });
  }

  /**
   * Ends the worker once the writes it holds are answered (the outbox closes first and waits for them). A worker that
   * holds none is ended at once: a goodbye would wait for it to finish starting (its modules, its sign-in), which
   * took 0.6 s and more at every manager's stop.
   */
  async close(): Promise<void> {
    if (this.closing) return this.exited;
    this.closing = true;
    if (this.failure === undefined && this.pending.size === 0) {
      await this.worker.terminate();
    } else if (this.failure === undefined) {
      this.flush();
      const request: DeliveryRequest = { type: 'close' };
      this.worker.postMessage(request);
      const timer = setTimeout(() => void this.worker.terminate(), 5_000);
      await this.exited;
      clearTimeout(timer);
    }
    await this.exited;
  }

  private answer(reply: DeliveryReply): void {
    switch (reply.type) {
      case 'batch':
        for (const r of reply.replies) this.answer(r);
        return;
      case 'ready':
        this.settleReady(true);
        return;
      case 'fatal':
        this.fail(reply.message);
        void this.worker.terminate();
        return;
      case 'log':
        this.o.logger[reply.level]({ ...reply.obj, thread: 'delivery' }, reply.msg);
        return;
      case 'attempt':
        publishAttempt(reply.attempt);
        return;
      case 'token':
        this.lend(reply.id, reply.stale);
        return;
      case 'delivered':
      case 'failed': {
        const p = this.pending.get(reply.id);
        if (p === undefined) return;
        this.pending.delete(reply.id);
        if (reply.type === 'delivered') p.resolve(reply.outcome);
        else p.reject(fromSent(reply.error));
      }
    }
  }

  /** Answers the worker's token request from the main thread's sign-in (a refused sign-in goes back as its error). */
  private lend(id: number, stale: string | undefined): void {
    const tokens = this.o.tokens;
    const answer = tokens === undefined ? Promise.reject(new Error('no shared sign-in')) : tokens.access(stale);
    answer.then(
      (t) => this.post({ type: 'token', id, token: t.token, expiresOnMs: t.expiresOnMs }),
      (err: unknown) => this.post({ type: 'token-failed', id, error: toSent(err) }),
    );
  }

  private post(request: DeliveryRequest): void {
    if (this.failure !== undefined) return;
    this.outgoing.push(request);
    if (this.outgoing.length === 1) queueMicrotask(() => this.flush());
  }

  private flush(): void {
    const requests = this.outgoing;
    this.outgoing = [];
    if (this.failure !== undefined || requests.length === 0) return;
    this.worker.postMessage(requests.length === 1 ? requests[0] : ({ type: 'batch', requests } satisfies DeliveryRequest));
  }

  private fail(reason: string): void {
    if (this.failure !== undefined) return;
    this.failure = reason;
    this.settleReady(false);
    for (const p of this.pending.values()) p.reject(new Error(`${reason}; the write is kept and sent again`));
    this.pending.clear();
    if (!this.closing) this.o.logger.error({ code: 'delivery-worker-failed' }, `${reason}: the outbox delivers on the main thread from now on`);
  }
}
