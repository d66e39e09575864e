// Phone directory benchmark: 1,000,000 numbers fed from in-memory pages (no
// HTTP), against the in-process floor — a plain Map<string, entry> holding
// the same keys. Figures are medians of several runs; the ratio is
// directory / Map (time: higher is slower; rate: lower is slower; heap: higher is bigger).
// Run: npx tsx bench/directory.ts [--numbers N] [--runs R]   (--expose-gc gives steadier heap figures)
// The directory's build runs on two threads (the key worker normalises): its wall time needs the
// second core free, so the main thread's own CPU time is printed beside it.
import { openSync, readSync } from 'node:fs';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { PhoneDirectory } from '../src/dataverse/directory/directory.ts';
import { dialingKeys } from '../src/dataverse/directory/dialing-keys.ts';
import { DEFAULT_PHONE_FIELDS, type EntityPhoneFields } from '../src/dataverse/directory/phone-fields.ts';
import type { DirectorySource, EntityCursor, SourceChange, SourceRecord } from '../src/dataverse/directory/source.ts';
import { effectiveSettings } from '../src/dialing/index.ts';
import { intArg, median } from './support.ts';

const NUMBERS = intArg('numbers', 1_000_000);
const RUNS = intArg('runs', 3);
const PAGE = 5000;
const CHANGES = 1000;
const LOOKUPS = 200_000;

const settings = effectiveSettings({ countryCode: '49', areaCode: '341', baseNumber: '4711', internationalPrefix: '00', nationalPrefix: '0', outsideLinePrefix: '0', maxInternalLength: 3 });
if (!settings.ok) throw settings.error;
const keys = dialingKeys(settings.settings);

// Records of three entities with 2–3 numbers each, typed the way people type them.
interface Rec { entity: string; id: string; name: string; phones: string[] }
const formats = [
  (n: number) => `+49 (341) ${String(n).slice(0, 3)} ${String(n).slice(3)}`,
  (n: number) => `0341 / ${n}`,
  (n: number) => `+49 30 ${n}`,
  (n: number) => `0049-89-${n}`,
];
function makeRecords(): Rec[] {
  const out: Rec[] = [];
  let made = 0;
  let i = 0;
  while (made < NUMBERS) {
    const entity = (['contact', 'account', 'lead'] as const)[i % 3]!;
    const count = Math.min(2 + (i % 2), NUMBERS - made);
    const phones = Array.from({ length: count }, (_, k) => formats[(i + k) % formats.length]!(1_000_000 + ((i * 7 + k * 7919) % 8_999_999)));
    out.push({ entity, id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, name: `Record ${i}`, phones });
    made += count;
    i += 1;
  }
  return out;
}

class PageSource implements DirectorySource {
  changes: { entity: string; change: SourceChange }[] = [];
  /** Records per entity, split once: a filter over all of them inside readAll would block the loop the probe watches. */
  private readonly byEntity = new Map<string, Rec[]>();
  constructor(records: Rec[]) {
    for (const r of records) {
      const list = this.byEntity.get(r.entity);
      if (list) list.push(r);
      else this.byEntity.set(r.entity, [r]);
    }
  }
  async readAll(spec: EntityPhoneFields, onPage: (r: readonly SourceRecord[]) => void | Promise<void>): Promise<EntityCursor> {
    const mine = this.byEntity.get(spec.entity) ?? [];
    for (let i = 0; i < mine.length; i += PAGE) {
      await onPage(mine.slice(i, i + PAGE).map((r) => ({ id: r.id, name: r.name, phones: spec.fields.map((_, k) => r.phones[k]) })));
      await Promise.resolve();
    }
    return { kind: 'delta', link: `mem:${spec.entity}` };
  }
  async readChanges(spec: EntityPhoneFields, cursor: EntityCursor, onPage: (c: readonly SourceChange[]) => void): Promise<EntityCursor> {
    onPage(this.changes.filter((c) => c.entity === spec.entity).map((c) => c.change));
    return cursor;
  }
}

const gc = (globalThis as { gc?: () => void }).gc;
/** The JS heap plus ArrayBuffer memory (the index keeps its tables in typed arrays, outside the heap). */
const heap = (): number => {
  gc?.();
  gc?.();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
};

/**
 * CPU milliseconds of the main thread alone: the key worker's CPU time blocks no event loop.
 * Linux gives a thread's run time in nanoseconds (/proc/thread-self/schedstat); elsewhere the
 * process's CPU time is the (pessimistic: every thread's) stand-in.
 */
const mainThreadCpuMs = ((): (() => number) => {
  try {
    const fd = openSync('/proc/thread-self/schedstat', 'r');
    const buf = Buffer.alloc(128);
    const read = (): number => Number(buf.toString('latin1', 0, readSync(fd, buf, 0, buf.length, 0)).split(' ')[0]) / 1e6;
    if (Number.isFinite(read())) return read;
  } catch {
    /* not Linux */
  }
  return () => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
})();

/**
 * Starts a probe on the event loop (a 1 ms timer, so it costs no CPU while the loop waits); the stop
 * function returns the most main-thread CPU milliseconds spent between two runs of the probe.
 */
function blockProbe(): () => number {
  let last = mainThreadCpuMs();
  let longest = 0;
  let running = true;
  const turn = (): void => {
    const now = mainThreadCpuMs();
    longest = Math.max(longest, now - last);
    last = now;
    if (running) setTimeout(turn, 1);
  };
  setTimeout(turn, 1);
  return () => {
    running = false;
    return longest;
  };
}

/** Lookups per second over the sample, after a warm-up pass (the first pass hashes fresh strings). */
function rate(lookup: (key: string) => number, sample: readonly string[]): number {
  let found = 0;
  for (const k of sample) found += lookup(k);
  let best = 0;
  for (let pass = 0; pass < 3; pass += 1) {
    const t = performance.now();
    for (const k of sample) found += lookup(k);
    best = Math.max(best, sample.length / ((performance.now() - t) / 1000));
  }
  if (found === 0) throw new Error('nothing found');
  return best;
}

async function main(): Promise<void> {
  const records = makeRecords();
  // The floor gets every key normalised in advance: it measures only holding and finding them.
  // Kept per record, not in one Map: a million-entry Map alive during the directory's build would put
  // its own marking steps (tens of milliseconds: V8 marks a Map's table in one piece) into the
  // event-loop blocks the probe attributes to the directory. The floor and the pre-normalised run
  // build the Map inside their own measurement and drop it.
  const recordKeys = records.map((r) => r.phones.map((typed) => keys.crmKey(typed)));
  const keyMap = (): Map<string, string | undefined> => {
    const map = new Map<string, string | undefined>();
    records.forEach((r, i) => r.phones.forEach((typed, k) => map.set(typed, recordKeys[i]![k])));
    return map;
  };
  const sampleKeys = Array.from({ length: LOOKUPS }, (_, i) => recordKeys[(i * 7919) % records.length]![0]!);
  const changed = Array.from({ length: CHANGES }, (_, i) => ({ record: records[(i * 104_729) % records.length]!, fresh: `+49 40 ${5_000_000 + i}`, remove: i % 4 === 3 }));
  const freshKeys = new Map(changed.map((c) => [c.fresh, keys.crmKey(c.fresh)!]));
  const figures: Record<string, { ours: number[]; map: number[] }> = {
    'full build (s)': { ours: [], map: [] },
    'full build, main-thread CPU (s)': { ours: [], map: [] },
    'full build, keys normalised in advance (s)': { ours: [], map: [] },
    'heap + array buffers (MB)': { ours: [], map: [] },
    'lookups per second': { ours: [], map: [] },
    'incremental refresh of 1,000 changes (ms)': { ours: [], map: [] },
    'longest event-loop block in a full build, main-thread CPU (ms)': { ours: [], map: [] },
    'longest event-loop wait in a full build, wall (ms)': { ours: [], map: [] },
  };
  // Each structure is built and measured inside its own function, so nothing of the other one is
  // still reachable when the heap is measured.
  type Entry = { entity: string; id: string; name: string; field: string };
  const floorRun = (): void => {
    const typedToKey = keyMap();
    const base = heap();
    const floorCpu = mainThreadCpuMs();
    let t = performance.now();
    const map = new Map<string, Entry[]>();
    for (const r of records) {
      const fields = DEFAULT_PHONE_FIELDS.find((f) => f.entity === r.entity)!.fields;
      r.phones.forEach((typed, k) => {
        const key = typedToKey.get(typed);
        if (key === undefined) return;
        const list = map.get(key);
        const entry = { entity: r.entity, id: r.id, name: r.name, field: fields[k]! };
        if (list) list.push(entry);
        else map.set(key, [entry]);
      });
    }
    const build = (performance.now() - t) / 1000;
    figures['full build (s)']!.map.push(build);
    figures['full build, main-thread CPU (s)']!.map.push((mainThreadCpuMs() - floorCpu) / 1000);
    // The floor builds in one synchronous piece: its whole build is one block.
    figures['longest event-loop block in a full build, main-thread CPU (ms)']!.map.push(build * 1000);
    figures['longest event-loop wait in a full build, wall (ms)']!.map.push(build * 1000);
    figures['full build, keys normalised in advance (s)']!.map.push(build);
    figures['heap + array buffers (MB)']!.map.push((heap() - base) / 2 ** 20);
    figures['lookups per second']!.map.push(rate((k) => map.get(k)?.length ?? 0, sampleKeys));
    t = performance.now();
    for (const { record: r, fresh, remove } of changed) {
      for (const typed of r.phones) {
        const key = typedToKey.get(typed)!;
        const kept = (map.get(key) ?? []).filter((e) => e.id !== r.id);
        if (kept.length > 0) map.set(key, kept);
        else map.delete(key);
      }
      if (!remove) map.set(freshKeys.get(fresh)!, [{ entity: r.entity, id: r.id, name: r.name, field: 'telephone1' }]);
    }
    figures['incremental refresh of 1,000 changes (ms)']!.map.push(performance.now() - t);
  };

  // The directory normalising every typed number with the dialing rules, as in production.
  const directoryRun = async (): Promise<void> => {
    const base = heap();
    const directory = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys, source: new PageSource(records) });
    // The event loop's longest wait during the build (a 1 ms probe) counts time the machine gave
    // other processes too; the CPU time between two turns of the loop is the block itself.
    const delay = monitorEventLoopDelay({ resolution: 1 });
    delay.enable();
    const stopProbe = blockProbe();
    const t = performance.now();
    const cpu = mainThreadCpuMs();
    await directory.refresh('full');
    figures['full build (s)']!.ours.push((performance.now() - t) / 1000);
    figures['full build, main-thread CPU (s)']!.ours.push((mainThreadCpuMs() - cpu) / 1000);
    figures['longest event-loop block in a full build, main-thread CPU (ms)']!.ours.push(stopProbe());
    delay.disable();
    figures['longest event-loop wait in a full build, wall (ms)']!.ours.push(delay.max / 1e6);
    figures['heap + array buffers (MB)']!.ours.push((heap() - base) / 2 ** 20);
    if (directory.lookupKey(sampleKeys[0]!).length === 0) throw new Error('the directory misses a number');
  };

  // The directory's own cost: normalisation answered from a table, as the floor's is.
  const indexRun = async (): Promise<void> => {
    // No recipe: the table lookups run on the main thread (a worker would normalise for real).
    const typedToKey = keyMap();
    const cached = { fingerprint: keys.fingerprint, incomingKeys: keys.incomingKeys, crmKey: (typed: string) => typedToKey.get(typed) ?? freshKeys.get(typed) ?? keys.crmKey(typed) };
    const source = new PageSource(records);
    const directory = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys: cached, source });
    let t = performance.now();
    await directory.refresh('full');
    figures['full build, keys normalised in advance (s)']!.ours.push((performance.now() - t) / 1000);
    figures['lookups per second']!.ours.push(rate((k) => directory.lookupKey(k).length, sampleKeys));
    source.changes = changed.map(({ record: r, fresh, remove }) => ({
      entity: r.entity,
      change: remove ? { kind: 'delete' as const, id: r.id } : { kind: 'upsert' as const, record: { id: r.id, name: r.name, phones: [fresh] } },
    }));
    t = performance.now();
    const report = await directory.refresh('incremental');
    figures['incremental refresh of 1,000 changes (ms)']!.ours.push(performance.now() - t);
    if (report.upserts + report.deletions !== CHANGES) throw new Error(`incremental refresh applied ${report.upserts + report.deletions} of ${CHANGES} changes`);
  };

  for (let run = 0; run < RUNS; run += 1) {
    floorRun();
    await directoryRun();
    await indexRun();
  }
  console.log(`phone directory: ${NUMBERS.toLocaleString('en')} numbers, ${records.length.toLocaleString('en')} records, median of ${RUNS} runs${gc ? '' : ' (run with --expose-gc for steadier heap figures)'}`);
  console.log('floor: a plain Map<string, entry[]> holding the same normalised keys (keys normalised before its clock starts)');
  console.log(`${'figure'.padEnd(60)} ${'directory'.padStart(12)} ${'Map floor'.padStart(12)} ${'ratio'.padStart(8)}`);
  for (const [name, { ours, map }] of Object.entries(figures)) {
    const a = median(ours);
    const b = median(map);
    console.log(`${name.padEnd(60)} ${a.toFixed(a < 10 ? 2 : 0).padStart(12)} ${b.toFixed(b < 10 ? 2 : 0).padStart(12)} ${(a / b).toFixed(2).padStart(8)}`);
  }
  // Issue 18, target 3 (exit 1 when missed): at 1,000,000 numbers a full build ≤ 3 s and no event-loop block over 20 ms.
  // Smaller sizes (`npm run bench -- --quick`) check only that every change was applied (the run throws otherwise).
  const build = median(figures['full build (s)']!.ours);
  const block = median(figures['longest event-loop block in a full build, main-thread CPU (ms)']!.ours);
  if (NUMBERS >= 1_000_000) {
    const met = build <= 3 && block <= 20;
    console.log(`requirement ${met ? 'met' : 'NOT met'}: full build ${build.toFixed(2)} s (≤ 3), longest block ${block.toFixed(0)} ms (≤ 20)`);
    process.exitCode = met ? 0 : 1;
  } else console.log(`requirement not checked below 1,000,000 numbers: full build ${build.toFixed(2)} s, longest block ${block.toFixed(0)} ms`);
}

await main();
