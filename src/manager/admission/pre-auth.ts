// Connections that have not yet proven anything (a connector before its
// `register`, a browser before its WebSocket upgrade) are capped per peer
// address and in total. A full cap never locks out a newcomer: the oldest
// pending connection of the peer holding the most is evicted to make room.
// A stranger can then only push out its own connections, or — from the
// same address — a legitimate one that has not completed in the time the
// stranger needs to open a whole cap of new connections.

export interface PreAuthLimits {
  /** Pending connections at once, all peers together. */
  total: number;
  /** Pending connections at once from one peer address. */
  perPeer: number;
}

/** A connection to evict, and which cap made it necessary. */
export interface Victim<T> {
  item: T;
  cap: 'perPeer' | 'total';
}

export class PreAuthAdmission<T> {
  /** Insertion order is age order: the first entry of a set is the oldest. */
  readonly #byPeer = new Map<string, Set<T>>();
  readonly #peerOf = new Map<T, string>();

  constructor(private readonly limits: () => PreAuthLimits) {}

  get size(): number {
    return this.#peerOf.size;
  }

  pendingOf(peer: string): number {
    return this.#byPeer.get(peer)?.size ?? 0;
  }

  /**
   * The pending connections to evict so that one more from `peer` fits
   * (oldest of the same peer past the per-peer cap, else oldest of the peer
   * holding the most past the total cap). The caller evicts them and then adds the newcomer.
   */
  victimsFor(peer: string): Victim<T>[] {
    const { total, perPeer } = this.limits();
    const victims: Victim<T>[] = [];
    const taken = new Set<T>();
    const oldest = (set: Set<T> | undefined): T | undefined => {
      for (const item of set ?? []) if (!taken.has(item)) return item;
      return undefined;
    };
    const countOf = (p: string): number => [...(this.#byPeer.get(p) ?? [])].filter((i) => !taken.has(i)).length;
    const take = (item: T | undefined, cap: Victim<T>['cap']): boolean => {
      if (item === undefined) return false;
      taken.add(item);
      victims.push({ item, cap });
      return true;
    };
    while (countOf(peer) >= Math.max(1, perPeer)) if (!take(oldest(this.#byPeer.get(peer)), 'perPeer')) break;
    while (this.#peerOf.size - taken.size >= Math.max(1, total)) {
      let heaviest: string | undefined;
      let most = 0;
      for (const p of this.#byPeer.keys()) {
        const n = countOf(p);
        if (n > most) [heaviest, most] = [p, n];
      }
      if (heaviest === undefined || !take(oldest(this.#byPeer.get(heaviest)), 'total')) break;
    }
    return victims;
  }

  add(item: T, peer: string): void {
    let set = this.#byPeer.get(peer);
    if (set === undefined) this.#byPeer.set(peer, (set = new Set()));
    set.add(item);
    this.#peerOf.set(item, peer);
  }

  /** The connection proved itself or closed; unknown items are ignored. */
  remove(item: T): void {
    const peer = this.#peerOf.get(item);
    if (peer === undefined) return;
    this.#peerOf.delete(item);
    const set = this.#byPeer.get(peer);
    set?.delete(item);
    if (set?.size === 0) this.#byPeer.delete(peer);
  }

  has(item: T): boolean {
    return this.#peerOf.has(item);
  }

  all(): T[] {
    return [...this.#peerOf.keys()];
  }
}
