import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { effectiveSettings, type EffectiveDialingSettings } from '../../../src/dialing/index.ts';
import { dialingKeys } from '../../../src/dataverse/directory/dialing-keys.ts';
import { PhoneDirectory, type DirectoryLogger } from '../../../src/dataverse/directory/directory.ts';
import { DEFAULT_PHONE_FIELDS } from '../../../src/dataverse/directory/phone-fields.ts';
import { MemorySource } from './memory-source.ts';

const dir = mkdtempSync(join(tmpdir(), 'directory-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function settings(values: Parameters<typeof effectiveSettings>[0]): EffectiveDialingSettings {
  const s = effectiveSettings(values);
  if (!s.ok) throw s.error;
  return s.settings;
}
const DEFAULT = settings({ countryCode: '49', areaCode: '34361', baseNumber: '826', internationalPrefix: '00', nationalPrefix: '0', outsideLinePrefix: '0', maxInternalLength: 3 });
// A line at another site (Leipzig, 0341) whose PBX puts a 0 in front of external callers.
const LEIPZIG = settings({ countryCode: '49', areaCode: '341', baseNumber: '555', internationalPrefix: '00', nationalPrefix: '0', outsideLinePrefix: '0', incomingDirectionCode: '0', maxInternalLength: 3 });

function memoryLogger(): DirectoryLogger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (d, m) => lines.push(`info ${m} ${JSON.stringify(d)}`), warn: (d, m) => lines.push(`warn ${m} ${JSON.stringify(d)}`) };
}

function seeded(): MemorySource {
  const source = new MemorySource();
  source.put('contact', 'c-anna', 'Anna Schmidt', { telephone1: '+49 (34361) 826-25', mobilephone: '0171 2345678' });
  source.put('contact', 'c-bernd', 'Bernd Müller', { telephone1: '0341 / 123 45 67' });
  source.put('account', 'a-muster', 'Muster GmbH', { telephone1: '034361 826', telephone2: '+49 341 1234567' });
  source.put('lead', 'l-carla', 'Carla Lead', { telephone1: '00493411234567', mobilephone: 'call me maybe' });
  source.put('contact', 'c-empty', 'Nobody', { telephone1: '', home2: '   ' });
  return source;
}

function make(source: MemorySource, extra: { snapshotPath?: string; logger?: DirectoryLogger } = {}) {
  return new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys: dialingKeys(DEFAULT), source, ...extra });
}

describe('PhoneDirectory', () => {
  it('finds every record of a caller, contact before account before lead, with the line\'s own rules', async () => {
    const directory = make(seeded());
    await directory.refresh('full');
    // Leipzig line: direction code 0, then a local number of area 341.
    const hits = directory.lookup('01234567', LEIPZIG);
    expect(hits.map((h) => [h.entity, h.id, h.field, h.key, h.viaFallback])).toEqual([
      ['contact', 'c-bernd', 'telephone1', '+493411234567', false],
      ['account', 'a-muster', 'telephone2', '+493411234567', false],
      ['lead', 'l-carla', 'telephone1', '+493411234567', false],
    ]);
    expect(directory.lookup('+49 171 2345678', DEFAULT)).toMatchObject([{ entity: 'contact', id: 'c-anna', name: 'Anna Schmidt', field: 'mobilephone' }]);
  });

  it('falls back to the company\'s base number for a call from one of its extensions, only when nothing else matches', async () => {
    const directory = make(seeded());
    await directory.refresh('full');
    expect(directory.lookup('03436182699', DEFAULT)).toEqual([{ entity: 'account', id: 'a-muster', name: 'Muster GmbH', field: 'telephone1', key: '+4934361826', viaFallback: true }]);
    expect(directory.lookup('03436182625', DEFAULT)).toMatchObject([{ id: 'c-anna', viaFallback: false }]);
  });

  it('answers nothing, without throwing, for unusable caller numbers', async () => {
    const directory = make(seeded());
    await directory.refresh('full');
    for (const caller of ['', 'anonymous', 'unknown', '+', '99999999999999999999']) expect(directory.lookup(caller, DEFAULT)).toEqual([]);
  });

  it('incremental refresh: a changed number stops matching, a deleted record disappears, a new one appears', async () => {
    const source = seeded();
    const directory = make(source);
    await directory.refresh('full');
    source.put('contact', 'c-bernd', 'Bernd Müller', { telephone1: '0341 7654321' });
    source.remove('lead', 'l-carla');
    source.put('lead', 'l-dora', 'Dora Neu', { telephone1: '+49 30 999 888' });
    const report = await directory.refresh('incremental');
    expect(report).toMatchObject({ kind: 'incremental', upserts: 2, deletions: 1, resynced: [] });
    expect(directory.lookup('+493411234567', DEFAULT).map((h) => h.id)).toEqual(['a-muster']);
    expect(directory.lookup('+493417654321', DEFAULT).map((h) => h.id)).toEqual(['c-bernd']);
    expect(directory.lookup('030 999888', DEFAULT).map((h) => h.id)).toEqual(['l-dora']);
    expect(source.calls.filter((c) => c.startsWith('changes:'))).toEqual(['changes:account:delta', 'changes:contact:delta', 'changes:lead:delta']);
  });

  it('polls modifiedon where change tracking is off (sees changes, not deletions until the next full build)', async () => {
    const source = seeded();
    source.trackingOff.add('lead');
    const directory = make(source);
    await directory.refresh('full');
    expect(directory.status().cursors).toEqual({ account: 'delta', contact: 'delta', lead: 'modifiedon' });
    source.put('lead', 'l-carla', 'Carla Lead', { telephone1: '0341 1111111' });
    await directory.refresh('incremental');
    expect(source.calls).toContain('changes:lead:modifiedon');
    expect(directory.lookup('03411111111', DEFAULT).map((h) => h.id)).toEqual(['l-carla']);
    expect(directory.lookup('03411234567', DEFAULT).map((h) => h.id)).toEqual(['c-bernd', 'a-muster']);
    source.remove('lead', 'l-carla');
    await directory.refresh('incremental');
    expect(directory.lookup('03411111111', DEFAULT).map((h) => h.id)).toEqual(['l-carla']);
    await directory.refresh('full');
    expect(directory.lookup('03411111111', DEFAULT)).toEqual([]);
  });

  it('resyncs an entity whose delta token expired, removing what vanished meanwhile', async () => {
    const source = seeded();
    const logger = memoryLogger();
    const directory = make(source, { logger });
    await directory.refresh('full');
    source.remove('contact', 'c-bernd');
    source.expiredBefore = Number.MAX_SAFE_INTEGER;
    const report = await directory.refresh('incremental');
    expect(report.resynced).toEqual(['account', 'contact', 'lead']);
    expect(directory.lookup('03411234567', DEFAULT).map((h) => h.id)).toEqual(['a-muster', 'l-carla']);
    expect(logger.lines.some((l) => l.startsWith('warn delta token expired; reading the entity completely'))).toBe(true);
  });

  it('keeps answering lookups from the old index while a full build runs, and keeps it when the build fails', async () => {
    const source = seeded();
    const directory = make(source);
    await directory.refresh('full');
    source.remove('contact', 'c-bernd');
    const seen: number[] = [];
    source.betweenPages = () => {
      seen.push(directory.lookup('03411234567', DEFAULT).length);
      expect(directory.status().refreshing).toBe('full');
    };
    await directory.refresh('full');
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.every((n) => n === 3)).toBe(true); // the old index until the swap
    expect(directory.lookup('03411234567', DEFAULT)).toHaveLength(2);

    source.betweenPages = () => undefined;
    source.failOn = (entity) => (entity === 'lead' ? new Error('HTTP 500') : undefined);
    await expect(directory.refresh('full')).rejects.toMatchObject({ code: 'source-failed', message: 'reading lead failed: HTTP 500' });
    expect(directory.lookup('03411234567', DEFAULT)).toHaveLength(2);
  });

  it('a full build lets the event loop run between slices of a page; lookups meanwhile answer from the old index', async () => {
    const source = seeded();
    const directory = make(source);
    await directory.refresh('full');
    source.remove('contact', 'c-bernd');
    for (let i = 0; i < 2_000; i += 1) source.put('contact', `c-${i}`, `Person ${i}`, { telephone1: `+49 30 ${1_000_000 + i}` });
    source.pageSize = 2_000; // one page: the slices, not the pages, must give way
    // A virtual monotonic clock one millisecond further at every look: a slice of 5 ms is 5 looks, 160 records.
    let ms = 0;
    const sliced = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys: dialingKeys(DEFAULT), source, buildSliceMs: 5, monotonicNow: () => (ms += 1) });
    await sliced.refresh('full');
    source.remove('contact', 'c-0');
    const seen: number[] = [];
    let building = true;
    const tick = (): void => {
      seen.push(sliced.lookup('03411234567', DEFAULT).length + sliced.lookup('+49 30 1000000', DEFAULT).length);
      if (building) setImmediate(tick);
    };
    setImmediate(tick);
    const report = await sliced.refresh('full');
    building = false;
    // 2,001 contacts in slices of 160: the loop ran at least a dozen times during the contact page alone.
    expect(seen.length).toBeGreaterThanOrEqual(12);
    expect(seen.every((n) => n === 3)).toBe(true); // the old index (2 + 1) until the swap
    expect(report.upserts).toBe(2_003); // 2,001 contacts, an account, a lead
    expect(sliced.lookup('+49 30 1000000', DEFAULT)).toEqual([]);
    expect(sliced.lookup('+49 30 1001999', DEFAULT)).toMatchObject([{ id: 'c-1999' }]);
    expect(sliced.lookup('03411234567', DEFAULT)).toHaveLength(2);
  });

  it('a source that does not wait for its pages to be digested still loses none of them', async () => {
    const inner = seeded();
    for (let i = 0; i < 500; i += 1) inner.put('lead', `l-${i}`, `Lead ${i}`, { telephone1: `+49 40 ${2_000_000 + i}` });
    inner.pageSize = 50;
    let ms = 0;
    const hasty = new PhoneDirectory({
      fields: DEFAULT_PHONE_FIELDS,
      keys: dialingKeys(DEFAULT),
      source: { readAll: (spec, onPage) => inner.readAll(spec, (records) => void onPage(records)), readChanges: (spec, cursor, onPage) => inner.readChanges(spec, cursor, onPage) },
      buildSliceMs: 1,
      monotonicNow: () => (ms += 1),
    });
    const report = await hasty.refresh('full');
    expect(report.upserts).toBe(505);
    for (const i of [0, 249, 499]) expect(hasty.lookup(`+49 40 ${2_000_000 + i}`, DEFAULT)).toMatchObject([{ id: `l-${i}` }]);
  });

  it('one failing entity does not hold back the others in an incremental refresh', async () => {
    const source = seeded();
    const directory = make(source);
    await directory.refresh('full');
    source.put('contact', 'c-new', 'Neu', { telephone1: '0341 2222222' });
    source.failOn = (entity) => (entity === 'account' ? Object.assign(new Error('timed out'), { code: 'timeout' }) : undefined);
    await expect(directory.refresh('incremental')).rejects.toMatchObject({ code: 'source-failed', message: 'incremental refresh failed for 1 entity: reading account failed: timeout: timed out' });
    expect(directory.lookup('03412222222', DEFAULT).map((h) => h.id)).toEqual(['c-new']);
  });

  it('never runs two refreshes at once', async () => {
    const source = seeded();
    const directory = make(source);
    let active = 0;
    let max = 0;
    source.betweenPages = async () => {
      active += 1;
      max = Math.max(max, active);
      await new Promise((r) => setTimeout(r, 1));
      active -= 1;
    };
    await Promise.all([directory.refresh('full'), directory.refresh('incremental'), directory.refresh('full'), directory.refresh('incremental')]);
    expect(max).toBe(1);
  });

  describe('snapshot', () => {
    it('a restarted directory answers at once from the snapshot and continues incrementally from its cursors', async () => {
      const path = join(dir, 'restart.snapshot');
      const source = seeded();
      await make(source, { snapshotPath: path }).refresh('full');
      const restarted = make(source, { snapshotPath: path });
      expect(await restarted.loadSnapshot()).toBe(true);
      expect(restarted.lookup('03411234567', DEFAULT).map((h) => h.id)).toEqual(['c-bernd', 'a-muster', 'l-carla']);
      source.remove('contact', 'c-bernd');
      source.calls = [];
      await restarted.refresh('incremental');
      expect(source.calls).toEqual(['changes:account:delta', 'changes:contact:delta', 'changes:lead:delta']);
      expect(restarted.lookup('03411234567', DEFAULT).map((h) => h.id)).toEqual(['a-muster', 'l-carla']);
    });

    it('ignores a corrupt, truncated, foreign or newer snapshot with a warning', async () => {
      const path = join(dir, 'corrupt.snapshot');
      await make(seeded(), { snapshotPath: path }).refresh('full');
      const good = readFileSync(path, 'utf8');
      const variants: [string, string, string][] = [
        ['flipped byte', good.replace('Bernd', 'Berne'), 'checksum mismatch'],
        ['cut mid-line', good.slice(0, Math.floor(good.length / 2)), 'truncated'],
        ['record lost', good.replace(/\n[^\n]*Bernd[^\n]*/, ''), 'checksum mismatch'],
        ['trailer lost', good.slice(0, good.lastIndexOf('\n', good.length - 2) + 1), 'truncated'],
        ['empty', '', 'truncated'],
        ['foreign', '{"hello":1}\n{}\n', 'not a phone directory snapshot'],
        ['newer', good.replace('"version":1', '"version":2'), 'version 2 is not 1'],
      ];
      for (const [label, text, why] of variants) {
        writeFileSync(path, text);
        const logger = memoryLogger();
        const directory = make(seeded(), { snapshotPath: path, logger });
        expect(await directory.loadSnapshot(), label).toBe(false);
        expect(logger.lines.join('\n'), label).toContain('snapshot-corrupt');
        expect(logger.lines.join('\n'), label).toContain(why);
        expect(directory.status().records).toBe(0);
      }
    });

    it('ignores a snapshot taken with other dialing settings or phone fields', async () => {
      const path = join(dir, 'stale.snapshot');
      await make(seeded(), { snapshotPath: path }).refresh('full');
      const logger = memoryLogger();
      const other = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS, keys: dialingKeys(LEIPZIG), source: seeded(), snapshotPath: path, logger });
      expect(await other.loadSnapshot()).toBe(false);
      expect(logger.lines[0]).toContain('snapshot-stale');
      const fewer = new PhoneDirectory({ fields: DEFAULT_PHONE_FIELDS.slice(0, 2), keys: dialingKeys(DEFAULT), source: seeded(), snapshotPath: path });
      expect(await fewer.loadSnapshot()).toBe(false);
    });

    it('a missing snapshot is no error; a failed write is a warning, not a failed refresh', async () => {
      const logger = memoryLogger();
      const directory = make(seeded(), { snapshotPath: join(dir, 'missing', 'dir', 'x.snapshot'), logger });
      expect(await directory.loadSnapshot()).toBe(false);
      await directory.refresh('full');
      expect(logger.lines.some((l) => l.startsWith('warn cannot write the phone directory snapshot'))).toBe(true);
      expect(directory.lookup('03411234567', DEFAULT)).toHaveLength(3);
    });
  });
});
