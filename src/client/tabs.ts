// One popup per user however many forms and tabs are open: the manager sends
// each call to one connection per user, and the tabs of one browser agree on
// top of that over a BroadcastChannel — a tab that shows a popup claims the
// call; a tab that learns of another tab's claim does not show (or withdraws)
// its own, the lower tab id winning a tie. Missed calls are shared too, so
// every tab's list is complete.

export interface ChannelLike {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  close(): void;
}

export type TabMessage =
  | { type: 'claim'; callKey: string; tab: string }
  | { type: 'release'; callKey: string; tab: string }
  | { type: 'missed'; callKey: string; tab: string; entry: unknown };

function isTabMessage(v: unknown): v is TabMessage {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return (m.type === 'claim' || m.type === 'release' || m.type === 'missed') && typeof m.callKey === 'string' && typeof m.tab === 'string';
}

export interface TabEvents {
  /** Another tab took a call this tab shows: close the popup here. */
  withdraw(callKey: string): void;
  /** Another tab recorded a missed call. */
  missed(callKey: string, entry: unknown): void;
}

export class TabCoordinator {
  private readonly claims = new Map<string, string>();

  constructor(
    readonly tab: string,
    private readonly channel: ChannelLike | undefined,
    private readonly events: TabEvents,
  ) {
    channel?.addEventListener('message', (event) => {
      if (isTabMessage(event.data) && event.data.tab !== tab) this.receive(event.data);
    });
  }

  /** True when this tab may show the call's popup (no other tab holds it); claims it. */
  claim(callKey: string): boolean {
    const holder = this.claims.get(callKey);
    if (holder !== undefined && holder !== this.tab) return false;
    this.claims.set(callKey, this.tab);
    this.channel?.postMessage({ type: 'claim', callKey, tab: this.tab } satisfies TabMessage);
    return true;
  }

  release(callKey: string): void {
    if (this.claims.get(callKey) !== this.tab) return;
    this.claims.delete(callKey);
    this.channel?.postMessage({ type: 'release', callKey, tab: this.tab } satisfies TabMessage);
  }

  shareMissed(callKey: string, entry: unknown): void {
    this.channel?.postMessage({ type: 'missed', callKey, tab: this.tab, entry } satisfies TabMessage);
  }

  close(): void {
    for (const [key, holder] of this.claims) if (holder === this.tab) this.release(key);
    this.channel?.close();
  }

  private receive(m: TabMessage): void {
    if (m.type === 'missed') {
      this.events.missed(m.callKey, m.entry);
      return;
    }
    const holder = this.claims.get(m.callKey);
    if (m.type === 'release') {
      if (holder === m.tab) this.claims.delete(m.callKey);
      return;
    }
    if (holder === this.tab) {
      if (m.tab < this.tab) {
        this.claims.set(m.callKey, m.tab);
        this.events.withdraw(m.callKey);
      } else this.channel?.postMessage({ type: 'claim', callKey: m.callKey, tab: this.tab } satisfies TabMessage);
      return;
    }
    this.claims.set(m.callKey, m.tab);
  }
}
