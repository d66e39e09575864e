// --profile RUN: where the main thread's time went during that run's calls, by part of the
// manager, from the CPU profile the run writes. Each sample goes to the outermost frame of ours
// (src/, bench/) or of ws on its stack — what the event loop was called for — so a part
// counts everything it called, library and runtime included. What it shows: how the manager's
// extra work per popup over the relay's is shared out (docs/performance-history.md, seventeenth stop).

/** The parts of a CPU profile that `splitProfile` reads (the inspector's `Profiler.Profile`). */
export interface CpuProfile {
  readonly nodes: readonly { readonly id: number; readonly callFrame: { readonly functionName: string; readonly url: string }; readonly children?: readonly number[] }[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
}

export const PARTS = [
  'connector frames in, popups out',
  'the relay (frames in, messages out)',
  'acknowledgements and other connector-socket callbacks',
  'journal',
  'records and outbox',
  'WebSocket reads (the bench\'s clients)',
  'the bench\'s connectors and clients',
  'the profiler itself',
  'GC',
  'runtime without a JavaScript frame',
  'other',
] as const;
export type Part = (typeof PARTS)[number];

interface Frame {
  readonly functionName: string;
  readonly url: string;
}

/** The part one sample's stack (root first) belongs to; undefined for idle (not work). */
export function partOf(stack: readonly Frame[]): Part | undefined {
  const leaf = stack[stack.length - 1];
  if (leaf === undefined || leaf.functionName === '(idle)') return undefined;
  if (leaf.functionName === '(garbage collector)') return 'GC';
  if (leaf.functionName === '(program)') return 'runtime without a JavaScript frame';
  if (stack.some((f) => f.url === 'node:inspector')) return 'the profiler itself';
  const outer = stack.find((f) => (/\/(src|bench)\//.test(f.url) && !f.url.includes('/node_modules/')) || f.url.includes('/node_modules/ws/'));
  if (outer === undefined) return 'other';
  const url = outer.url;
  if (url.includes('/node_modules/ws/')) return 'WebSocket reads (the bench\'s clients)';
  if (url.includes('/bench/lib/relay.ts')) return 'the relay (frames in, messages out)';
  if (url.includes('/bench/')) return 'the bench\'s connectors and clients';
  if (url.includes('/src/manager/gateway/connection.ts')) {
    // The connection's reads carry the events and their popups; its other callbacks are the acknowledgements' turn.
    return stack.some((f) => f.functionName === '#onData') ? 'connector frames in, popups out' : 'acknowledgements and other connector-socket callbacks';
  }
  if (url.includes('/src/manager/gateway/sqlite-seq-store.ts')) return 'journal';
  if (url.includes('/src/manager/records/') || url.includes('/src/dataverse/')) return 'records and outbox';
  return 'other';
}

/** Milliseconds of main-thread time per part. */
export function splitProfile(profile: CpuProfile): Map<Part, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const micros = new Map<number, number>();
  (profile.samples ?? []).forEach((id, i) => micros.set(id, (micros.get(id) ?? 0) + (profile.timeDeltas?.[i] ?? 0)));
  const split = new Map<Part, number>(PARTS.map((p) => [p, 0]));
  for (const [id, us] of micros) {
    const stack: Frame[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const node = byId.get(at);
      if (node !== undefined) stack.unshift(node.callFrame);
    }
    const part = partOf(stack);
    if (part !== undefined) split.set(part, (split.get(part) ?? 0) + us / 1000);
  }
  return split;
}

/** One line per part: ms and µs per popup, largest first, and the total; the profiler's own work is shown apart, not counted. */
export function formatSplit(run: string, split: ReadonlyMap<Part, number>, popups: number): string {
  const PROFILER: Part = 'the profiler itself';
  const work = [...split].filter(([part, ms]) => part !== PROFILER && ms > 0).sort((a, b) => b[1] - a[1]);
  const total = work.reduce((a, [, ms]) => a + ms, 0);
  const per = (ms: number) => `${Math.round((ms * 1000) / Math.max(1, popups))} µs`;
  const lines = work.map(([part, ms]) => `  ${part}: ${ms.toFixed(0)} ms, ${per(ms)} per popup`);
  const own = split.get(PROFILER) ?? 0;
  const head = `${run}, main thread's work by part (CPU profile): ${total.toFixed(0)} ms, ${per(total)} per popup${own > 0 ? ` (the profiler's own ${own.toFixed(0)} ms not counted)` : ''}`;
  return [head, ...lines].join('\n');
}
