// Where one popup's latency goes (bench/manager.ts --stages): each popup's
// time from its frame's write to its decoding at the client, cut in three —
//   taken in: the frame written → the event taken in (the manager: decoded,
//     checked and applied to its line, the registry's `receivedAt`; the relay:
//     the frame read off its socket);
//   handled:  → the popup's notification written to the client's WebSocket
//     (the manager: routing, caller identification, the notification built,
//     encoded and sent; the relay: a table lookup and `ws.send`);
//   after:    → decoded by the client: what the loop still does before it
//     polls again (the chunk's other frame, the journal's post, an outbox
//     turn), and the client's own read and decoding.
// The manager's marks come from its `notification-sent` diagnostics channel
// (src/manager/routing/diagnostics.ts), published right after the send; the
// relay marks its own. The medians say what a popup costs on its way, stage by
// stage; the p99s where the slow ones lost their time.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { NotificationSent } from '../../src/manager/routing/diagnostics.ts';
import { percentile, type PopupWatch } from './popups.ts';

const CHANNEL = 'crm-tapi:manager:notification-sent';
const STAGES = ['taken in', 'handled', 'after'] as const;

export class StageWatch implements PopupWatch {
  /** Per call key: when its offering was taken in, and when its notification was sent. */
  readonly #marks = new Map<string, readonly [takenAt: number, sentAt: number]>();
  readonly #stages: (readonly [number, number, number])[] = [];
  readonly #onSent = (message: unknown): void => {
    const m = message as NotificationSent;
    if (m.state === 'offering' && !this.#marks.has(m.callKey)) this.#marks.set(m.callKey, [m.receivedAt, performance.now()]);
  };
  #listening = false;

  /** `manager`: marks from the manager's channel; `relay`: the relay tells `relayed` itself. */
  constructor(source: 'manager' | 'relay') {
    if (source === 'manager') {
      subscribe(CHANNEL, this.#onSent);
      this.#listening = true;
    }
  }

  /** The relay took in the frame of `callKey`'s offering at `takenAt` and has just sent its messages. */
  relayed(callKey: string, takenAt: number): void {
    if (!this.#marks.has(callKey)) this.#marks.set(callKey, [takenAt, performance.now()]);
  }

  sent(): void {}

  popup(sentAt: number, ms: number, callKey: string): void {
    const mark = this.#marks.get(callKey);
    if (mark === undefined) return;
    this.#marks.delete(callKey);
    const [takenAt, notifiedAt] = mark;
    this.#stages.push([takenAt - sentAt, notifiedAt - takenAt, sentAt + ms - notifiedAt]);
  }

  /** Popups followed through all three stages. */
  get count(): number {
    return this.#stages.length;
  }

  /** Each stage's p50 / p90 / p99 in µs over the popups followed (a stage's percentiles are its own: they need not add up). */
  summary(): { stage: (typeof STAGES)[number]; p50: number; p90: number; p99: number }[] {
    return STAGES.map((stage, i) => {
      const us = this.#stages.map((s) => (s[i] as number) * 1000);
      return { stage, p50: percentile(us, 50), p90: percentile(us, 90), p99: percentile(us, 99) };
    });
  }

  /** Stops listening to the manager's channel: at the end of its run, so a later run's notifications are not marked here. */
  stop(): void {
    if (this.#listening) unsubscribe(CHANNEL, this.#onSent);
    this.#listening = false;
  }

  /** One line: how many popups were followed, then each stage's p50 / p90 / p99 in µs. */
  report(): string {
    this.stop();
    const parts = this.summary().map((s) => `${s.stage} ${s.p50.toFixed(0)} / ${s.p90.toFixed(0)} / ${s.p99.toFixed(0)}`);
    return `  stages of ${this.count} popups, p50 / p90 / p99 µs: ${parts.join('; ')}`;
  }
}
