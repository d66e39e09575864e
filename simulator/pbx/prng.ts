// A small seeded PRNG (mulberry32) so that a simulated PBX run is reproducible
// from its seed; the simulator never calls Math.random.

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
}

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return {
    next(): number {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/** Integer in [min, max] (both inclusive). */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random.next() * (max - min + 1));
}

export function pick<T>(random: Random, items: readonly T[]): T | undefined {
  return items.length === 0 ? undefined : items[Math.floor(random.next() * items.length)];
}

/**
 * A duration distribution in milliseconds. `exponential` models arrival gaps
 * and talk times of a call centre; `uniform` a ring time between two bounds.
 */
export type Distribution =
  | { readonly kind: 'fixed'; readonly ms: number }
  | { readonly kind: 'uniform'; readonly minMs: number; readonly maxMs: number }
  | { readonly kind: 'exponential'; readonly meanMs: number; readonly maxMs?: number };

export function sample(random: Random, d: Distribution): number {
  switch (d.kind) {
    case 'fixed':
      return d.ms;
    case 'uniform':
      return d.minMs + random.next() * (d.maxMs - d.minMs);
    case 'exponential': {
      // 1 - next() lies in (0, 1], so the log is finite.
      const value = -Math.log(1 - random.next()) * d.meanMs;
      return d.maxMs === undefined ? value : Math.min(value, d.maxMs);
    }
  }
}
