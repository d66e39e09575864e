// bench/lib/webapi.ts: the runs of one bench process share one stand-in Web API process (its start, tsx
// compiling it, took about a second of every run). Each run's `stats` count only what came after its own
// start, a run's `stop` leaves the stand-in to the next run, and the stand-in ends with the bench.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { closeSharedStandIn, startWebApi } from '../../bench/lib/webapi.ts';

const upsert = () => ({ method: 'PATCH' as const, path: `ctapi_calllogs(${randomUUID()})`, body: { ctapi_name: 'x' }, headers: { 'If-None-Match': '*' } });

describe('the shared stand-in Web API', () => {
  afterAll(closeSharedStandIn);

  it('counts per run, serves the next run after one stops, and is one process', async () => {
    const first = await startWebApi('loop', { shared: true });
    await first.client.batch([upsert()]);
    const second = await startWebApi('loop', { shared: true });
    expect(await second.stats()).toMatchObject({ created: 0, refused: 0, requests: 0 });
    await second.client.batch([upsert(), upsert()]);
    // One process: the first run's counts include what the second sent.
    expect(await first.stats()).toMatchObject({ created: 3, refused: 0, requests: 2 });
    await first.stop();
    await second.client.batch([upsert()]);
    expect(await second.stats()).toMatchObject({ created: 3, refused: 0, requests: 2 });
    await second.stop();
    const third = await startWebApi('loop', { shared: true });
    expect(await third.stats()).toMatchObject({ created: 0 });
    await third.client.batch([upsert()]);
    expect(await third.stats()).toMatchObject({ created: 1, requests: 1 });
    await third.stop();
  }, 60_000);
});
