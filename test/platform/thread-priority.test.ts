// The SQLite worker threads run at nice 10 on Linux (src/platform/thread-priority.ts), and the thread that
// starts them keeps its priority: the event loop must not be slowed with them.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteOutboxStore } from '../../src/dataverse/outbox/sqlite-store.ts';
import { SqliteSeqStore } from '../../src/manager/gateway/sqlite-seq-store.ts';
import { BACKGROUND_NICE } from '../../src/platform/thread-priority.ts';

const dir = mkdtempSync(join(tmpdir(), 'thread-priority-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The nice value of each thread of this process (field 19 of /proc/<tid>/stat). */
function niceOf(stat: string): number {
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}
const threads = (): Map<string, number> => new Map(readdirSync('/proc/self/task').flatMap((tid) => {
  try {
    return [[tid, niceOf(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8'))] as [string, number]];
  } catch {
    return []; // a thread that ended meanwhile
  }
}));

describe.runIf(process.platform === 'linux')('background threads', () => {
  it('the journal and the outbox writer run at BACKGROUND_NICE; the calling thread keeps its priority', async () => {
    const before = threads();
    const self = niceOf(readFileSync('/proc/thread-self/stat', 'utf8'));
    const journal = new SqliteSeqStore(join(dir, 'journal.db'));
    journal.set('pbx', 1, { host: 'pbx', key: 'k1', message: { channel: 'connector', command: 'keepAlive' } as never });
    await new Promise<void>((resolve) => journal.whenDurable(resolve));
    const outbox = new SqliteOutboxStore(join(dir, 'outbox.db'), { synchronous: 'GROUP', writes: 'worker' });
    expect(await outbox.enqueueLater!([{ id: '00000000-0000-4000-8000-000000000001', kind: 'callLog', entitySet: 'ctapi_calllogs', body: {} }], 1)).toEqual([true]);
    const lowered = [...threads()].filter(([tid, nice]) => !before.has(tid) && nice === BACKGROUND_NICE);
    expect(journal.stats().worker).toBe(true);
    expect(outbox.writer?.offLoop).toBe(true);
    expect(lowered.length).toBeGreaterThanOrEqual(2);
    expect(niceOf(readFileSync('/proc/thread-self/stat', 'utf8'))).toBe(self);
    journal.close();
    outbox.close();
  });
});
