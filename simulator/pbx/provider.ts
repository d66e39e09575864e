// The simulated PBX seen through the LineProvider interface, as the connector
// sees any phone system. Several providers (one per connector) may attach to
// one PBX; closing a provider detaches it and leaves the PBX running, because
// the PBX's owner (the CLI, a test) also serves its control endpoint.
import { LineProviderError, lineOffers } from '../../src/connector/line-provider.ts';
import type { CallControl, CallInfo, LineInfo, LineProvider, ProviderEvent, ProviderListener } from '../../src/connector/line-provider.ts';
import type { SimulatedPbx } from './pbx.ts';

export class SimulatedLineProvider implements LineProvider {
  readonly kind = 'simulator';
  private phase: 'new' | 'open' | 'closed' = 'new';
  private readonly listeners = new Set<ProviderListener>();
  private detach: (() => void) | undefined;

  constructor(readonly pbx: SimulatedPbx) {}

  open(): Promise<readonly LineInfo[]> {
    return this.run(() => {
      if (this.phase === 'open') return this.pbx.lines();
      this.assertNotClosed();
      if (!this.pbx.isUp()) throw new LineProviderError('provider-down', 'the simulated PBX is restarting; try again');
      this.phase = 'open';
      this.detach = this.pbx.subscribe((event) => this.deliver(event));
      return this.pbx.lines();
    });
  }

  lines(): readonly LineInfo[] {
    return this.phase === 'open' ? this.pbx.lines() : [];
  }

  activeCalls(): readonly CallInfo[] {
    return this.phase === 'open' ? this.pbx.activeCalls() : [];
  }

  subscribe(listener: ProviderListener): () => void {
    // A wrapper per subscription, so subscribing the same function twice gives two independent subscriptions.
    const entry: ProviderListener = (event) => listener(event);
    this.listeners.add(entry);
    return () => void this.listeners.delete(entry);
  }

  makeCall(line: string, dialString: string): Promise<string> {
    return this.command(() => this.pbx.makeCall(line, dialString));
  }

  answer(callId: string): Promise<void> {
    return this.command(() => this.pbx.answer(callId));
  }

  drop(callId: string): Promise<void> {
    return this.command(() => this.pbx.drop(callId));
  }

  reject(callId: string): Promise<void> {
    return this.command(() => this.pbx.reject(callId));
  }

  hold(callId: string): Promise<void> {
    return this.command(() => this.pbx.hold(this.offering(callId, 'hold')));
  }

  unhold(callId: string): Promise<void> {
    return this.command(() => this.pbx.resume(this.offering(callId, 'hold')));
  }

  transfer(callId: string, dialString: string): Promise<void> {
    return this.command(() => this.pbx.transfer(this.offering(callId, 'transfer'), dialString, { dialled: true }));
  }

  consult(callId: string, dialString: string): Promise<string> {
    return this.command(() => this.pbx.consult(callId, dialString));
  }

  completeTransfer(callId: string): Promise<void> {
    return this.command(() => this.pbx.completeTransfer(callId));
  }

  cancelConsult(callId: string): Promise<void> {
    return this.command(() => this.pbx.cancelConsult(callId));
  }

  conference(callId: string): Promise<void> {
    return this.command(() => this.pbx.conference(callId));
  }

  reinitialize(): Promise<void> {
    return this.command(() => this.pbx.reinitialize());
  }

  close(): Promise<void> {
    this.phase = 'closed';
    this.detach?.();
    this.detach = undefined;
    return Promise.resolve();
  }

  private deliver(event: ProviderEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // Isolated by contract: one consumer's bug must not starve the others.
      }
    }
  }

  /** The call id, once its line is known to offer `control` (the PBX's own hold and transfer serve scenarios on any line). */
  private offering(callId: string, control: CallControl): string {
    const call = this.pbx.activeCalls().find((c) => c.callId === callId);
    if (call === undefined) throw new LineProviderError('no-such-call', `no call ${callId.slice(0, 40)} (never existed or already idle)`);
    if (!lineOffers(this.pbx.lines(), call.line, control)) throw new LineProviderError('not-supported', `line ${call.line} does not offer ${control} on this PBX`);
    return callId;
  }

  private assertNotClosed(): void {
    if (this.phase === 'closed') throw new LineProviderError('provider-down', 'the provider is closed');
  }

  private command<T>(fn: () => T): Promise<T> {
    return this.run(() => {
      this.assertNotClosed();
      if (this.phase !== 'open') throw new LineProviderError('provider-down', 'the provider is not open; call open() first');
      return fn();
    });
  }

  // Turns synchronous throws into rejections, so callers only ever see a rejected promise.
  private run<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new LineProviderError('invalid-state', String(err)));
    }
  }
}
