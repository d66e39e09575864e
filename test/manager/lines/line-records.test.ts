// User line records for reported lines (manager/lines/line-records.ts) on a
// keeper of its own, with a CRM repository the test controls: the record id
// is a name-based UUID of the organisation (in any spelling) and the line,
// two reports of one line share one creation, a failing CRM is retried with
// doubling waits up to the cap, a stopped keeper creates nothing, and a
// refresh forgets records the CRM no longer has. The startup tests show the
// keeper against the simulated Dataverse; each case here failed on a
// hand-made break those did not catch.
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LineConfigRecord } from '../../../src/dataverse/repositories/index.ts';
import type { ReportedLine } from '../../../src/manager/contracts.ts';
import { LineRecordKeeper, lineRecordId } from '../../../src/manager/lines/line-records.ts';
import { userLineRecord } from '../support/line-settings.ts';

const line = (name: string): ReportedLine => ({ line: `pbx:${name}`, connectorHost: 'pbx', localName: name, address: name, inService: true, connectorOnline: true });
const record = userLineRecord;

interface Repo {
  all: LineConfigRecord[];
  calls: { line: string; id: string | undefined }[];
  fail: number;
  gate?: Promise<void>;
  listAll(): Promise<LineConfigRecord[]>;
  ensureUserLine(host: string, name: string, siteId: string, display?: string, id?: string): Promise<{ records: LineConfigRecord[]; created: boolean }>;
}

function repo(): Repo {
  const r: Repo = {
    all: [], calls: [], fail: 0,
    listAll: async () => [...r.all],
    async ensureUserLine(host, name, _siteId, _display, id) {
      r.calls.push({ line: `${host}:${name}`, id });
      await r.gate;
      if (r.fail > 0) {
        r.fail -= 1;
        throw Object.assign(new Error('the CRM is away'), { code: 'unavailable' });
      }
      const rec = record(id ?? 'x', `${host}:${name}`);
      r.all.push(rec);
      return { records: [rec], created: true };
    },
  };
  return r;
}

let keeper: LineRecordKeeper | undefined;
afterEach(() => {
  keeper?.stop();
  vi.useRealTimers();
});

describe('the record id', () => {
  it('is an RFC 4122 version 5 UUID of the organisation and the line; the organisation\'s spelling does not matter', () => {
    const id = lineRecordId('Contoso', 'pbx:21');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(lineRecordId('CONTOSO', 'pbx:21')).toBe(id);
    expect(lineRecordId('contoso', 'pbx:22')).not.toBe(id);
    expect(lineRecordId('fabrikam', 'pbx:21')).not.toBe(id);
  });
});

describe('creating records', () => {
  it('two reports of one line while its creation runs share that creation', async () => {
    const r = repo();
    let open!: () => void;
    r.gate = new Promise((resolve) => (open = resolve));
    keeper = new LineRecordKeeper({ repository: r, siteId: 's', organisation: 'contoso', logger: pino({ level: 'silent' }) });
    const first = keeper.ensure(line('21'));
    const second = keeper.ensure(line('21'));
    open();
    await Promise.all([first, second]);
    expect(r.calls).toEqual([{ line: 'pbx:21', id: lineRecordId('contoso', 'pbx:21') }]);
    expect(keeper.created).toBe(1);
  });

  it('a CRM that fails is asked again after doubling waits, capped; success ends the retries', async () => {
    vi.useFakeTimers();
    const r = repo();
    r.fail = 4;
    keeper = new LineRecordKeeper({ repository: r, siteId: 's', organisation: 'contoso', logger: pino({ level: 'silent' }), retryBaseMs: 1000, retryMaxMs: 5000 });
    await keeper.ensure(line('21'));
    const at: number[] = [];
    const start = Date.now();
    for (const step of [999, 1, 1999, 1, 3999, 1, 4999, 1]) {
      const before = r.calls.length;
      await vi.advanceTimersByTimeAsync(step);
      if (r.calls.length > before) at.push(Date.now() - start);
    }
    expect(at).toEqual([1000, 3000, 7000, 12000]); // waits 1 s, 2 s, 4 s, then 5 s (the cap)
    expect(keeper.waiting).toBe(0);
    expect(keeper.created).toBe(1);
  });

  it('a stopped keeper creates nothing, not even for a line reported after the stop', async () => {
    const r = repo();
    keeper = new LineRecordKeeper({ repository: r, siteId: 's', organisation: 'contoso', logger: pino({ level: 'silent' }) });
    keeper.stop();
    await keeper.ensure(line('21'));
    keeper.handle({ kind: 'added', line: line('22') });
    await keeper.idle();
    expect(r.calls).toEqual([]);
  });
});

describe('what the CRM has', () => {
  it('a refresh forgets records deleted in the CRM, so their line gets one again; only records with a user count as users', async () => {
    const r = repo();
    r.all = [record('a', 'pbx:21', 'anna'), record('b', 'pbx:21'), record('c', 'pbx:22', 'jens')];
    keeper = new LineRecordKeeper({ repository: r, siteId: 's', organisation: 'contoso', logger: pino({ level: 'silent' }) });
    await keeper.refresh();
    expect(keeper.usersOf('pbx:21')).toBe(1);
    await keeper.ensure(line('22'));
    expect(r.calls).toEqual([]);
    r.all = r.all.filter((x) => x.line !== 'pbx:22');
    await keeper.refresh();
    expect(keeper.records().map((x) => x.id).sort()).toEqual(['a', 'b']);
    await keeper.ensure(line('22'));
    expect(r.calls.map((c) => c.line)).toEqual(['pbx:22']);
  });
});
