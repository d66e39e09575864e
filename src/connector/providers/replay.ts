// A LineProvider that plays a recorded session (spec/recording.md) back: in
// real time, N times faster, or as fast as possible. Events are re-emitted
// exactly as recorded (same ids, same `at`), so a CI pipeline sees the
// session the recorder saw.
//
// Commands, two modes:
// - `follow` (default): the recording is the whole truth. Commands are checked
//   against the replayed state (unknown line, no such call) and otherwise
//   refused with invalid-state, because a replay cannot change what happened;
//   `reinitialize()` is accepted and does nothing.
// - `await`: the recording's commands gate the timeline. Replay stops at each
//   recorded command until the consumer issues the same command (same name and
//   arguments), which then gets the recorded outcome. This replays a session
//   through a connector faithfully, cause before effect.
import { performance } from 'node:perf_hooks';
import { LineProviderError } from '../line-provider.ts';
import type { CallInfo, LineInfo, LineProvider, ProviderEvent, ProviderListener } from '../line-provider.ts';
import type { CommandEntry, Recording } from '../recording/format.ts';
import type { CommandName } from '../recording/schema.ts';
import { ReplayState } from './replay-state.ts';

export interface ReplayOptions {
  /** Playback speed relative to the recording (default 1); ignored with `fast`. */
  readonly speed?: number;
  /** Emit as fast as possible (still asynchronously, in order). */
  readonly fast?: boolean;
  readonly commands?: 'follow' | 'await';
}

interface Waiter {
  resolve(value: string | undefined): void;
  reject(error: LineProviderError): void;
}

/** Events emitted in one go in fast mode before yielding to the event loop. */
const FAST_BATCH = 512;

export class ReplayProvider implements LineProvider {
  readonly kind = 'replay';
  private phase: 'new' | 'open' | 'closed' = 'new';
  private readonly state: ReplayState;
  private readonly listeners = new Set<ProviderListener>();
  private readonly waiters = new Map<number, Waiter>();
  private readonly speed: number;
  private index = 0;
  private playedT = 0;
  private blockedAt: number | undefined;
  private wallOrigin = 0;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private settleWaiters: (() => void)[] = [];
  private finishResolve!: () => void;
  /** Resolves when the recording has been played to its end, or the provider was closed. */
  readonly finished: Promise<void>;

  constructor(
    private readonly recording: Recording,
    private readonly options: ReplayOptions = {},
  ) {
    const speed = options.speed ?? 1;
    if (!(speed > 0 && Number.isFinite(speed))) throw new LineProviderError('invalid-state', `replay speed must be a positive number, got ${speed}`);
    this.speed = speed;
    this.state = new ReplayState(recording.header.lines);
    this.finished = new Promise((resolve) => (this.finishResolve = resolve));
  }

  /**
   * The recording's time of the entry played last (its `t`, ms since the
   * recorder opened the provider). Read from a listener, it is the recorded
   * moment of the event being delivered: a virtual clock for consumers that
   * stamp events (replay through the stack stamps with it, so recorded times
   * come out whatever the playback speed).
   */
  get playedTo(): number {
    return this.playedT;
  }

  /** The recorded provider's kind (the header's `provider`). */
  get recordedProvider(): string {
    return this.recording.header.provider;
  }

  open(): Promise<readonly LineInfo[]> {
    if (this.phase === 'closed') return Promise.reject(new LineProviderError('provider-down', 'the replay is closed'));
    if (this.phase === 'new') {
      this.phase = 'open';
      this.wallOrigin = performance.now();
      // Events start after open() has resolved, as the contract promises.
      this.timer = setImmediate(() => this.pump());
    }
    return Promise.resolve(this.state.lines());
  }

  lines(): readonly LineInfo[] {
    return this.phase === 'open' ? this.state.lines() : [];
  }

  activeCalls(): readonly CallInfo[] {
    return this.phase === 'open' ? this.state.activeCalls() : [];
  }

  subscribe(listener: ProviderListener): () => void {
    const entry: ProviderListener = (event) => listener(event);
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  async makeCall(line: string, dialString: string): Promise<string> {
    const result = await this.command('makeCall', [line, dialString], () => {
      if (!this.state.hasLine(line)) throw new LineProviderError('unknown-line', `no line ${line.slice(0, 40)} in the replayed session`);
    });
    if (result === undefined) throw new LineProviderError('invalid-state', 'the recording holds no call id for this makeCall');
    return result;
  }

  async answer(callId: string): Promise<void> {
    await this.command('answer', [callId], () => this.checkCall(callId));
  }

  async drop(callId: string): Promise<void> {
    await this.command('drop', [callId], () => this.checkCall(callId));
  }

  async reject(callId: string): Promise<void> {
    await this.command('reject', [callId], () => this.checkCall(callId));
  }

  // Call control replays what the recording holds, like answer and drop: the
  // same command with the same arguments next, else `invalid-state`.
  async hold(callId: string): Promise<void> {
    await this.command('hold', [callId], () => this.checkCall(callId));
  }

  async unhold(callId: string): Promise<void> {
    await this.command('unhold', [callId], () => this.checkCall(callId));
  }

  async transfer(callId: string, dialString: string): Promise<void> {
    await this.command('transfer', [callId, dialString], () => this.checkCall(callId));
  }

  async consult(callId: string, dialString: string): Promise<string> {
    const result = await this.command('consult', [callId, dialString], () => this.checkCall(callId));
    if (result === undefined) throw new LineProviderError('invalid-state', 'the recording holds no call id for this consult');
    return result;
  }

  async completeTransfer(callId: string): Promise<void> {
    await this.command('completeTransfer', [callId], () => this.checkCall(callId));
  }

  async cancelConsult(callId: string): Promise<void> {
    await this.command('cancelConsult', [callId], () => this.checkCall(callId));
  }

  async conference(callId: string): Promise<void> {
    await this.command('conference', [callId], () => this.checkCall(callId));
  }

  async reinitialize(): Promise<void> {
    await this.command('reinitialize', [], () => undefined);
  }

  close(): Promise<void> {
    if (this.phase !== 'closed') {
      this.phase = 'closed';
      this.stopTimer();
      for (const waiter of this.waiters.values()) waiter.reject(new LineProviderError('provider-down', 'the replay was closed'));
      this.waiters.clear();
      this.finishResolve();
      this.notifySettled();
    }
    return Promise.resolve();
  }

  /** Resolves once the timeline cannot move on by itself: it waits for a command, has ended, or was closed. */
  settled(): Promise<void> {
    if (this.phase === 'closed' || this.blockedAt !== undefined || this.index >= this.recording.entries.length) return Promise.resolve();
    return new Promise((resolve) => this.settleWaiters.push(resolve));
  }

  private checkCall(callId: string): void {
    if (!this.state.hasCall(callId)) throw new LineProviderError('no-such-call', `no call ${callId.slice(0, 40)} in the replayed session (never existed or already idle)`);
  }

  private command(name: CommandName, args: string[], validate: () => void): Promise<string | undefined> {
    if (this.phase !== 'open') {
      return Promise.reject(new LineProviderError('provider-down', this.phase === 'new' ? 'the replay is not open; call open() first' : 'the replay is closed'));
    }
    const next = this.options.commands === 'await' ? this.nextCommand() : undefined;
    if (next !== undefined && next.entry.command === name && sameArgs(next.entry.args, args)) {
      return new Promise((resolve, reject) => {
        const waiter: Waiter = { resolve, reject };
        if (this.blockedAt === next.index) {
          this.blockedAt = undefined;
          this.index = next.index + 1;
          this.playedT = next.entry.t;
          // Keep the recorded gaps after the command: its recorded time is "now".
          this.wallOrigin = performance.now() - next.entry.t / this.speed;
          settle(next.entry, waiter);
          this.timer = setImmediate(() => this.pump());
        } else {
          this.waiters.set(next.index, waiter);
        }
      });
    }
    try {
      validate();
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (this.options.commands !== 'await' && name === 'reinitialize') return Promise.resolve(undefined);
    const expected = next === undefined ? 'no further command' : `${next.entry.command}(${next.entry.args.join(', ')})`;
    const why =
      this.options.commands === 'await'
        ? `the recording expects ${expected} next`
        : 'a replayed session follows its recording and cannot take commands';
    return Promise.reject(new LineProviderError('invalid-state', `${name}(${args.join(', ')}) refused: ${why}`));
  }

  /** The first recorded command from the current position that no consumer command has claimed yet. */
  private nextCommand(): { index: number; entry: CommandEntry } | undefined {
    const entries = this.recording.entries;
    for (let i = this.index; i < entries.length; i++) {
      const entry = entries[i];
      if (entry !== undefined && 'command' in entry && !this.waiters.has(i)) return { index: i, entry };
    }
    return undefined;
  }

  private pump(): void {
    this.timer = undefined;
    const entries = this.recording.entries;
    let emitted = 0;
    while (this.phase === 'open' && this.index < entries.length) {
      const entry = entries[this.index] as (typeof entries)[number];
      if (!this.options.fast) {
        const delay = this.wallOrigin + entry.t / this.speed - performance.now();
        if (delay >= 1) {
          this.timer = setTimeout(() => this.pump(), delay);
          return;
        }
      }
      this.playedT = entry.t;
      if ('event' in entry) {
        this.index++;
        this.emit(entry.event);
        if (this.options.fast && ++emitted >= FAST_BATCH) {
          this.timer = setImmediate(() => this.pump());
          return;
        }
      } else if ('command' in entry) {
        if (this.options.commands !== 'await') {
          this.index++;
          continue;
        }
        const waiter = this.waiters.get(this.index);
        if (waiter === undefined) {
          this.blockedAt = this.index;
          this.notifySettled();
          return;
        }
        this.waiters.delete(this.index);
        this.index++;
        settle(entry, waiter);
      } else {
        this.index++;
      }
    }
    if (this.index >= entries.length) {
      this.finishResolve();
      this.notifySettled();
    }
  }

  private emit(event: ProviderEvent): void {
    this.state.apply(event);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // Isolated by the LineProvider contract.
      }
    }
  }

  private notifySettled(): void {
    const waiting = this.settleWaiters;
    this.settleWaiters = [];
    for (const resolve of waiting) resolve();
  }

  private stopTimer(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }
}

function sameArgs(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function settle(entry: CommandEntry, waiter: Waiter): void {
  if (entry.ok) waiter.resolve(entry.result);
  else waiter.reject(new LineProviderError(entry.error?.code ?? 'invalid-state', entry.error?.message ?? 'failed when recorded'));
}
