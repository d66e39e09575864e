// A worker thread that normalises the pages of a full build while the main
// thread indexes the previous one: on two cores the build's two halves run
// side by side, and the allocations of normalisation (libphonenumber-js,
// intermediate strings) never reach the main thread's heap. Pages are
// answered in the order they were sent. The worker runs key-worker.ts, the
// same encodePhones as the main thread, with NumberKeys built from their
// recipe. A worker that fails to start or dies fails its pending pages and
// is given up: the build normalises on the main thread from then on.
import { Worker } from 'node:worker_threads';
import { MODULE_WORKER_BOOT, moduleWorkerData, siblingModule } from '../../platform/module-worker.ts';
import type { KeyReply } from './key-worker.ts';
import type { KeysRecipe } from './number-keys.ts';
import type { PackedPhones } from './page-keys.ts';
import type { EncodedKeys } from './phone-index.ts';

interface Pending {
  resolve(keys: EncodedKeys): void;
  reject(error: Error): void;
}

export class KeyWorker {
  private readonly worker: Worker;
  private readonly pending: Pending[] = [];
  private started = false;
  private failure: string | undefined;
  private closing = false;

  /** `onFailure` is told once why the worker was given up; `onReady` once it can take pages. */
  constructor(
    recipe: KeysRecipe,
    private readonly onFailure: (reason: string) => void,
    private readonly onReady: () => void = () => undefined,
    entry = siblingModule('key-worker', import.meta.url),
  ) {
    this.worker = new Worker(MODULE_WORKER_BOOT, { workerData: { ...moduleWorkerData(entry), recipe } });
    this.worker.unref(); // never what keeps a process alive
    this.worker.on('message', (reply: KeyReply) => this.answer(reply));
    this.worker.on('error', (err) => this.fail(`key worker failed: ${err.message}`));
    this.worker.on('exit', (code) => this.fail(`key worker exited with code ${code}`));
  }

  /** True once the worker has built its keys and until it fails. */
  get ready(): boolean {
    return this.started && this.failure === undefined;
  }

  /** Codes of the packed phones (see encodePhones); rejects when the worker fails meanwhile. */
  encode(phones: PackedPhones): Promise<EncodedKeys> {
    if (this.failure !== undefined) return Promise.reject(new Error(this.failure));
    return new Promise<EncodedKeys>((resolve, reject) => {
      this.pending.push({ resolve, reject });
      this.worker.postMessage(phones, [phones.lengths.buffer as ArrayBuffer]);
    });
  }

  /** Pages sent and not answered yet. */
  get backlog(): number {
    return this.pending.length;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.fail('key worker closed');
    await this.worker.terminate();
  }

  private answer(reply: KeyReply): void {
    if ('ready' in reply) {
      this.started = true;
      this.onReady();
      return;
    }
    const next = this.pending.shift();
    if (next === undefined) return;
    if ('failed' in reply) next.reject(new Error(`key worker: ${reply.failed}`));
    else next.resolve(reply.texts === undefined ? { codes: reply.codes } : { codes: reply.codes, texts: reply.texts });
  }

  private fail(reason: string): void {
    if (this.failure !== undefined) return;
    this.failure = reason;
    for (const p of this.pending.splice(0)) p.reject(new Error(reason));
    if (!this.closing) this.onFailure(reason);
  }
}
