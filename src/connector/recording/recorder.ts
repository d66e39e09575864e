// Records any LineProvider's session while passing everything through: wrap
// the provider, hand the wrapper to the connector, and the session lands in a
// JSON Lines file (spec/recording.md) that the replay provider plays back.
//
// A command is written at the moment it is issued, with its outcome; events
// that arrive while it is still pending are held back until it settles, so
// the file keeps the causal order "command, then what it caused" even for
// drivers that emit events before the command's promise settles.
import { performance } from 'node:perf_hooks';
import { LineProviderError } from '../line-provider.ts';
import type { CallInfo, LineInfo, LineProvider, ProviderEvent, ProviderListener } from '../line-provider.ts';
import { encodeEntry, encodeHeader, RECORDING_FORMAT, RECORDING_VERSION } from './format.ts';
import type { CommandName } from './schema.ts';
import type { RecordingSink } from './sink.ts';

export interface RecorderOptions {
  /** Milliseconds on a monotonic clock (default performance.now); offsets `t` count from open(). */
  readonly now?: () => number;
  /** The header's start time (default: the wall clock at open()). */
  readonly startedAt?: () => Date;
}

type Slot = { text: string | undefined };

export class RecordingProvider implements LineProvider {
  readonly kind: string;
  private readonly listeners = new Set<ProviderListener>();
  private readonly queue: Slot[] = [];
  private readonly now: () => number;
  private origin: number | undefined;
  private headerSlot: Slot | undefined;
  private finished = false;

  constructor(
    private readonly inner: LineProvider,
    private readonly sink: RecordingSink,
    private readonly options: RecorderOptions = {},
  ) {
    this.kind = inner.kind;
    this.now = options.now ?? (() => performance.now());
    inner.subscribe((event) => this.onEvent(event));
  }

  async open(): Promise<readonly LineInfo[]> {
    if (this.origin === undefined) {
      this.origin = this.now();
      this.headerSlot = this.reserve();
    }
    const lines = await this.inner.open();
    if (this.headerSlot !== undefined && this.headerSlot.text === undefined) {
      const startedAt = (this.options.startedAt?.() ?? new Date()).toISOString();
      this.fill(this.headerSlot, encodeHeader({ format: RECORDING_FORMAT, version: RECORDING_VERSION, provider: this.inner.kind, startedAt, lines }));
    }
    return lines;
  }

  lines(): readonly LineInfo[] {
    return this.inner.lines();
  }

  activeCalls(): readonly CallInfo[] {
    return this.inner.activeCalls();
  }

  subscribe(listener: ProviderListener): () => void {
    const entry: ProviderListener = (event) => listener(event);
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  makeCall(line: string, dialString: string): Promise<string> {
    return this.record('makeCall', [line, dialString], () => this.inner.makeCall(line, dialString));
  }

  answer(callId: string): Promise<void> {
    return this.record('answer', [callId], () => this.inner.answer(callId));
  }

  drop(callId: string): Promise<void> {
    return this.record('drop', [callId], () => this.inner.drop(callId));
  }

  reject(callId: string): Promise<void> {
    return this.record('reject', [callId], () => this.inner.reject(callId));
  }

  hold(callId: string): Promise<void> {
    return this.record('hold', [callId], () => this.inner.hold(callId));
  }

  unhold(callId: string): Promise<void> {
    return this.record('unhold', [callId], () => this.inner.unhold(callId));
  }

  transfer(callId: string, dialString: string): Promise<void> {
    return this.record('transfer', [callId, dialString], () => this.inner.transfer(callId, dialString));
  }

  consult(callId: string, dialString: string): Promise<string> {
    return this.record('consult', [callId, dialString], () => this.inner.consult(callId, dialString));
  }

  completeTransfer(callId: string): Promise<void> {
    return this.record('completeTransfer', [callId], () => this.inner.completeTransfer(callId));
  }

  cancelConsult(callId: string): Promise<void> {
    return this.record('cancelConsult', [callId], () => this.inner.cancelConsult(callId));
  }

  conference(callId: string): Promise<void> {
    return this.record('conference', [callId], () => this.inner.conference(callId));
  }

  reinitialize(): Promise<void> {
    return this.record('reinitialize', [], () => this.inner.reinitialize());
  }

  /** Closes the inner provider, writes the end entry and flushes the sink. */
  async close(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    await this.inner.close();
    if (this.origin !== undefined) {
      // Anything still pending is written as it stands, so the file always ends cleanly.
      for (const slot of this.queue) slot.text ??= '';
      this.fill(this.reserve(), encodeEntry({ t: this.offset(), end: 'closed' }));
    }
    await this.sink.close();
  }

  private onEvent(event: ProviderEvent): void {
    if (this.origin !== undefined && !this.finished) this.fill(this.reserve(), encodeEntry({ t: this.offset(), event }));
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // Isolated by the LineProvider contract.
      }
    }
  }

  private async record<T extends string | void>(command: CommandName, args: string[], run: () => Promise<T>): Promise<T> {
    if (this.origin === undefined || this.finished) return run();
    const t = this.offset();
    const slot = this.reserve();
    try {
      const result = await run();
      this.fill(slot, encodeEntry({ t, command, args, ok: true, ...(typeof result === 'string' ? { result } : {}) }));
      return result;
    } catch (err) {
      const error = err instanceof LineProviderError ? { code: err.code, message: err.message } : { code: 'invalid-state' as const, message: String(err) };
      this.fill(slot, encodeEntry({ t, command, args, ok: false, error }));
      throw err;
    }
  }

  private offset(): number {
    return Math.max(0, Math.round(this.now() - (this.origin ?? 0)));
  }

  private reserve(): Slot {
    const slot: Slot = { text: undefined };
    this.queue.push(slot);
    return slot;
  }

  private fill(slot: Slot, text: string): void {
    slot.text = text;
    while (this.queue[0]?.text !== undefined) {
      const head = this.queue.shift() as Slot;
      if (head.text !== '') this.sink.write(head.text as string);
    }
  }
}

