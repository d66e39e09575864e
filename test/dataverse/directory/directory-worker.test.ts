// A full build whose pages the key worker normalises gives the directory a
// build on the main thread gives: random records typed the way people type,
// the first pages normalised on the main thread while the worker starts and
// the rest in the worker, then random incremental changes to both, then a
// second full build. Every lookup of every typed number and of random caller
// numbers on two lines agrees, and so do the sizes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dialingKeys } from '../../../src/dataverse/directory/dialing-keys.ts';
import { PhoneDirectory, type DirectoryLogger } from '../../../src/dataverse/directory/directory.ts';
import { DEFAULT_PHONE_FIELDS } from '../../../src/dataverse/directory/phone-fields.ts';
import { BRITAIN, GERMANY } from '../../dialing/helpers.ts';
import { DEADLY, dyingKeys } from './fixtures/dying-keys.ts';
import { MemorySource } from './memory-source.ts';
import { phoneField, typedNumber } from './typed-numbers.ts';

const SEED = Number(process.env.DIRECTORY_WORKER_SEED ?? Date.now() % 2 ** 31);
const RECORDS = 2_000;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function logger(): DirectoryLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (_d, m) => lines.push(m), warn: (_d, m) => lines.push(`warn ${m}`) };
}

const record = fc.record({
  entity: fc.constantFrom('contact', 'account', 'lead'),
  name: fc.constantFrom('Anna', 'Bernd', 'Carla', 'Dora'),
  phones: fc.array(phoneField, { minLength: 7, maxLength: 7 }),
});

describe(`full build with the key worker (seed ${SEED})`, () => {
  it('equals a build normalised on the main thread, after random changes too', async () => {
    const records = fc.sample(record, { numRuns: RECORDS, seed: SEED });
    const callers = fc.sample(typedNumber, { numRuns: 500, seed: SEED + 1 });
    const source = new MemorySource();
    source.pageSize = 20;
    const put = (i: number, r: (typeof records)[number]): void => {
      const fields = DEFAULT_PHONE_FIELDS.find((f) => f.entity === r.entity)!.fields;
      source.put(r.entity, `id-${i}`, r.name, Object.fromEntries(fields.map((f, k) => [f, r.phones[k] ?? undefined])));
    };
    records.forEach((r, i) => put(i, r));

    const log = logger();
    const inWorker = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys: dialingKeys(GERMANY), source, logger: log, keyWorkerFromRecords: 0 });
    const inThread = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys: dialingKeys(GERMANY), source, keyWorker: false });
    // Paging waits for the worker to start, so the build uses both ways (page 1 normalised here).
    source.betweenPages = async () => {
      for (let waited = 0; !log.lines.some((l) => l.includes('key worker ready')) && waited < 60_000; waited += 10) await sleep(10);
    };
    const report = await inWorker.refresh('full');
    source.betweenPages = () => undefined;
    expect(log.lines.filter((l) => l.startsWith('warn'))).toEqual([]);
    expect(report.keyWorkerPages).toBeGreaterThan(0);
    expect((await inThread.refresh('full')).keyWorkerPages).toBe(0);
    // With the default threshold a directory this small is normalised on the main thread, worker never started.
    const small = logger();
    const report2 = await new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys: dialingKeys(GERMANY), source, logger: small }).refresh('full');
    expect(report2.keyWorkerPages).toBe(0);
    expect(small.lines.filter((l) => l.includes('key worker'))).toEqual([]);
    // A directory that already holds the threshold's records starts its worker with the build, not
    // after reading that many again: of the 100 pages, not only those past record 1,000 go to it.
    const held = logger();
    const again = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys: dialingKeys(GERMANY), source, logger: held, keyWorkerFromRecords: 1_000 });
    await again.refresh('full');
    const readyBefore = held.lines.filter((l) => l.includes('key worker ready')).length;
    source.betweenPages = async () => {
      for (let waited = 0; held.lines.filter((l) => l.includes('key worker ready')).length === readyBefore && waited < 60_000; waited += 10) await sleep(10);
    };
    expect((await again.refresh('full')).keyWorkerPages).toBeGreaterThan(60);
    source.betweenPages = () => undefined;

    const agree = (): void => {
      expect(inWorker.status().records).toBe(inThread.status().records);
      expect({ ...inWorker.status(), last: undefined }).toEqual({ ...inThread.status(), last: undefined });
      const answers = (d: PhoneDirectory<unknown>): string[] => {
        const out: string[] = [];
        for (const r of records) for (const typed of r.phones) if (typed !== null) out.push(`${typed} → ${JSON.stringify(d.lookup(typed, GERMANY))}`);
        for (const caller of callers) out.push(`${caller} → ${JSON.stringify(d.lookup(caller, GERMANY))} ${JSON.stringify(d.lookup(caller, BRITAIN))}`);
        return out;
      };
      const expected = answers(inThread);
      expect(answers(inWorker)).toEqual(expected);
      expect(expected.filter((a) => !a.endsWith('→ []')).length).toBeGreaterThan(1_000); // most numbers find their records
    };
    agree();
    expect(inWorker.status().keys).toBeGreaterThan(1_000);

    // Random changes: new numbers, records removed, records added.
    const changes = fc.sample(fc.tuple(fc.nat(RECORDS - 1), fc.constantFrom('change', 'remove', 'add'), record), { numRuns: 300, seed: SEED + 2 });
    changes.forEach(([i, kind, fresh], n) => {
      const r = records[i]!;
      if (kind === 'remove') source.remove(r.entity, `id-${i}`);
      else if (kind === 'change') put(i, { ...fresh, entity: r.entity });
      else put(RECORDS + n, fresh);
    });
    await inWorker.refresh('incremental');
    await inThread.refresh('incremental');
    agree();
    // (The memory source lists a record removed and then written again as written, then removed:
    // an incremental refresh drops it, a full build has it. So both are built completely again.)
    await inWorker.refresh('full');
    await inThread.refresh('full');
    agree();
  }, 180_000);

  it('a worker that dies mid-build is given up: the main thread normalises the rest, pages already sent included', async () => {
    const source = new MemorySource();
    source.pageSize = 10;
    const typed = fc.sample(typedNumber, { numRuns: 600, seed: SEED + 3 });
    typed.forEach((t, i) => source.put('contact', `c-${String(i).padStart(4, '0')}`, `P${i}`, { telephone1: t, mobilephone: i === 400 ? DEADLY : `+49 171 ${1_000_000 + i}` }));
    const log = logger();
    const dying = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys: dyingKeys(GERMANY), source, logger: log, keyWorkerFromRecords: 0 });
    source.betweenPages = async () => {
      for (let waited = 0; !log.lines.some((l) => l.includes('key worker ready')) && waited < 60_000; waited += 10) await sleep(10);
    };
    const report = await dying.refresh('full');
    source.betweenPages = () => undefined;
    expect(log.lines.filter((l) => l.startsWith('warn'))).toEqual(['warn phone directory: the key worker failed; the build normalises on the main thread']);
    expect(report.keyWorkerPages).toBeGreaterThan(0);
    const reference = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys: dialingKeys(GERMANY), source, keyWorker: false });
    await reference.refresh('full');
    expect(dying.status().records).toBe(600);
    expect({ ...dying.status(), last: undefined }).toEqual({ ...reference.status(), last: undefined });
    const answers = (d: PhoneDirectory<unknown>): string[] => typed.map((t, i) => `${t} ${JSON.stringify(d.lookup(t, GERMANY))} ${JSON.stringify(d.lookup(`+49 171 ${1_000_000 + i}`, GERMANY))}`);
    expect(answers(dying)).toEqual(answers(reference));
  }, 120_000);
});
