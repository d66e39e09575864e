// Ports for tests that must name a port before something else binds it: a configuration file for a
// child process, a connector told where its manager will listen. Asking the kernel for a free port and
// closing it again leaves a moment in which another process may take it. For the ephemeral range that
// is a lottery of tens of thousands of ports; the manual's TAPI range (4502–4534, which the CLI holds
// operators to) has 33, and the paired project (vitest.config.ts) runs two files at a time. So each
// vitest worker takes its own part of that range, and within a process the ports are handed out in
// turn, so that a port handed out but not yet bound is not handed out again at once.
import { createServer } from 'node:net';

const TAPI_FIRST = 4502;
const TAPI_LAST = 4534;
/** The most files vitest runs at once here (the paired project's maxWorkers). */
const PARTS = 2;

/** A free port that the kernel picked on 127.0.0.1 (free when this returns; bind it soon). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('the kernel gave no port');
  return address.port;
}

/** Whether `port` can be bound on 127.0.0.1 right now. */
export function portFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * This worker's part of the TAPI range: `part` of `parts` (VITEST_POOL_ID counts from 1; outside
 * vitest, the whole range).
 */
export function tapiPortsOf(poolId: string | undefined, parts = PARTS): readonly number[] {
  const all = Array.from({ length: TAPI_LAST - TAPI_FIRST + 1 }, (_, i) => TAPI_FIRST + i);
  const id = Number(poolId);
  if (!Number.isInteger(id) || id < 1) return all;
  const part = (id - 1) % parts;
  return all.filter((_, i) => i % parts === part);
}

let next = Math.floor(Math.random() * (TAPI_LAST - TAPI_FIRST + 1));

/** A free port of the manual's TAPI range 4502–4534 from this worker's part of it (the CLI validates the range). */
export async function freeTapiPort(): Promise<number> {
  const mine = tapiPortsOf(process.env.VITEST_POOL_ID);
  for (let i = 0; i < mine.length; i += 1) {
    const port = mine[(next + i) % mine.length]!;
    if (await portFree(port)) {
      next = (next + i + 1) % mine.length;
      return port;
    }
  }
  throw new Error(`every port of this worker's part of the TAPI range on 127.0.0.1 is taken (${mine.join(', ')})`);
}
