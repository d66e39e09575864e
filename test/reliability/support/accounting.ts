// Per-call accounting as Jepsen's queue checker does it: what the test made
// (the expected keys) against what reached a sink (the CRM, a client), each
// key counted. lost: expected, never arrived; duplicated: arrived more than
// once; unexpected: arrived, never made.

export interface Account {
  expected: number;
  ok: number;
  lost: string[];
  duplicated: string[];
  unexpected: string[];
}

export function account(expected: Iterable<string>, observed: Iterable<string>): Account {
  const want = new Set(expected);
  const seen = new Map<string, number>();
  for (const key of observed) seen.set(key, (seen.get(key) ?? 0) + 1);
  const lost = [...want].filter((k) => !seen.has(k));
  const duplicated = [...seen].filter(([k, n]) => want.has(k) && n > 1).map(([k]) => k);
  const unexpected = [...seen.keys()].filter((k) => !want.has(k));
  return { expected: want.size, ok: want.size - lost.length - duplicated.length, lost, duplicated, unexpected };
}

/** The figures a test asserts on (and prints when they are not all 0). */
export function counts(a: Account): { lost: number; duplicated: number; unexpected: number } {
  return { lost: a.lost.length, duplicated: a.duplicated.length, unexpected: a.unexpected.length };
}
