// A line diff of two JSON values printed with two-space indentation: what
// `replay --expect` shows when an outcome differs from its golden file.
// Longest common subsequence over lines; outcomes are a few hundred lines.

export function jsonLines(value: unknown): string[] {
  return JSON.stringify(value, null, 2).split('\n');
}

/** `-` lines only in `expected`, `+` lines only in `actual`, with `context` unchanged lines around each change. */
export function lineDiff(expected: readonly string[], actual: readonly string[], context = 3): string {
  const n = expected.length;
  const m = actual.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = expected[i] === actual[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: { kind: ' ' | '-' | '+'; text: string }[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && expected[i] === actual[j]) {
      ops.push({ kind: ' ', text: expected[i++]! });
      j++;
    } else if (j < m && (i >= n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) ops.push({ kind: '+', text: actual[j++]! });
    else ops.push({ kind: '-', text: expected[i++]! });
  }
  const keep = ops.map((op, k) => op.kind !== ' ' || ops.slice(Math.max(0, k - context), k + context + 1).some((o) => o.kind !== ' '));
  const out: string[] = [];
  ops.forEach((op, k) => {
    if (keep[k]) out.push(`${op.kind} ${op.text}`);
    else if (k > 0 && keep[k - 1]) out.push('  …');
  });
  return out.join('\n');
}
