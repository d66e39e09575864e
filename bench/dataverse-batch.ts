// bench/dataverse-batch.ts — what the outbox's records cost the manager's host on their way to
// Dataverse: the production Dataverse client (bearer token, undici keep-alive agent, TLS, the
// request loop) sending create-only upserts over HTTPS to the stand-in Web API in another
// process (bench/lib/webapi.ts), one request per record (as the outbox sends them today) beside
// the same records as independent parts of one `$batch` request
// (`Prefer: odata.continue-on-error`), a few records per request.
//
//   npx tsx bench/dataverse-batch.ts [--records 2000] [--rate 400] [--rounds 5] [--sizes 1,2,5,10,20]
//
// Each round sends `--records` records per size, paced at `--rate` records per second (400: two
// records per call at target 1's 200 popups/s), the sizes interleaved in a new order each round;
// the figure is this process's CPU time (user + system, process.cpuUsage) per record, the median
// over the rounds, beside one request per record measured in the same rounds. A diagnostic for
// issue 18's first target (docs/performance-history.md, twenty-first stop): in production the records
// leave the host, so their HTTPS is the part of their cost that cannot be left out, only shared.
// No requirement of its own; exits 1 when a record is refused or lost.
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DataverseClient } from '../src/dataverse/web-api/client.ts';
import { startWebApi } from './lib/webapi.ts';
import { intArg, median, textArg, usageError, verdict } from './support.ts';

const RECORDS = intArg('records', 2000);
const RATE = intArg('rate', 400);
const ROUNDS = intArg('rounds', 5);
const SIZES = (textArg('sizes') ?? '1,2,5,10,20').split(',').map(Number);
if (SIZES.some((n) => !Number.isInteger(n) || n < 1 || n > 1000)) usageError('--sizes must be whole numbers from 1 to 1000 (Dataverse takes at most 1,000 requests per $batch)');
if (!SIZES.includes(1)) SIZES.unshift(1);

/** A call log as the outbox writes one (the fields' sizes are what matter here). */
const record = () => ({ ctapi_name: `Anruf ${randomUUID()}`, ctapi_phonenumber: '+49 30 1234567', ctapi_direction: 1, ctapi_duration: 42, ctapi_state: 3, 'ctapi_agent@odata.bind': `/systemusers(${randomUUID()})` });
const SET = 'ctapi_calllogs';

/** Sends `RECORDS` records `size` to a request, paced; this process's CPU µs per record. */
async function send(client: DataverseClient, size: number): Promise<number> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const requests: Promise<void>[] = [];
  for (let sent = 0; sent < RECORDS; sent += size) {
    const wait = started + (sent * 1000) / RATE - performance.now();
    if (wait > 1) await sleep(wait);
    const n = Math.min(size, RECORDS - sent);
    if (size === 1) {
      requests.push(client.createIfAbsent(SET, randomUUID(), record()).then((outcome) => {
        if (outcome !== 'created') throw new Error(`a record was answered ${outcome}`);
      }));
      continue;
    }
    const parts = Array.from({ length: n }, () => ({ method: 'PATCH' as const, path: `${SET}(${randomUUID()})`, body: record(), headers: { 'If-None-Match': '*' } }));
    requests.push(client.batch(parts, { continueOnError: true }).then((answers) => {
      const bad = answers.filter((a) => a.status !== 204);
      if (answers.length !== n || bad.length > 0) throw new Error(`a $batch of ${n} got ${answers.length} answers, ${bad.length} of them not 204`);
    }));
  }
  await Promise.all(requests);
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / RECORDS;
}

const api = await startWebApi('loop');
const bySize = new Map<number, number[]>(SIZES.map((s) => [s, []]));
let failure: string | undefined;
try {
  // Warm: TLS sessions, the client's code, the stand-in's.
  for (const size of SIZES) await send(api.client, size);
  const before = await api.stats();
  const loadBefore = loadavg()[0]!;
  for (let round = 0; round < ROUNDS; round += 1) {
    const order = round % 2 === 0 ? SIZES : SIZES.toReversed();
    for (const size of order) bySize.get(size)!.push(await send(api.client, size));
  }
  const after = await api.stats();
  const sent = RECORDS * SIZES.length * ROUNDS;
  const created = after.created - before.created;
  const refused = after.refused - before.refused;
  if (created !== sent || refused > 0) failure = `${sent} records sent, ${created} created, ${refused} refused`;
  const expectedRequests = SIZES.reduce((a, s) => a + Math.ceil(RECORDS / s), 0) * ROUNDS;
  console.log(`${RECORDS} records per size and round at ${RATE} records/s, ${ROUNDS} round(s), HTTPS to the stand-in Web API in another process (load average ${loadBefore.toFixed(1)} before, ${loadavg()[0]!.toFixed(1)} after)`);
  console.log(`the stand-in took ${after.requests - before.requests} requests (${expectedRequests} expected) and created ${created} records; its CPU ${((after.cpuMs - before.cpuMs) * 1000 / sent).toFixed(0)} µs per record (the server side: Microsoft's in production)`);
  console.log('records per request   CPU µs per record (median)   vs one per request   rounds');
  const single = median(bySize.get(1)!);
  for (const size of SIZES) {
    const us = bySize.get(size)!;
    console.log(`${String(size).padStart(19)}   ${median(us).toFixed(0).padStart(26)}   ${(single / median(us)).toFixed(2).padStart(17)}x   ${us.map((u) => u.toFixed(0)).join(', ')}`);
  }
} catch (err) {
  failure = (err as Error).message;
} finally {
  await api.stop();
}
const largest = Math.max(...SIZES);
const figures = failure ?? `${largest} records per $batch cost ${median(bySize.get(largest)!).toFixed(0)} µs of CPU per record, ${(median(bySize.get(1)!) / median(bySize.get(largest)!)).toFixed(2)}x less than one request per record (${median(bySize.get(1)!).toFixed(0)} µs); nothing refused or lost`;
if (failure !== undefined) {
  console.log(`records refused or lost: ${failure}`);
  process.exitCode = 1;
}
verdict({ notChecked: '(a diagnostic: issue 18 sets no target for it)' }, figures);
