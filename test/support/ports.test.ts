import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, freeTapiPort, portFree, tapiPortsOf } from './ports.ts';

describe('test ports', () => {
  const held: Server[] = [];
  afterEach(async () => {
    await Promise.all(held.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  it('splits the manual TAPI range between the two vitest workers of a pair, without overlap or gap', () => {
    const one = tapiPortsOf('1');
    const two = tapiPortsOf('2');
    expect(one.filter((p) => two.includes(p))).toEqual([]);
    expect([...one, ...two].sort((a, b) => a - b)).toEqual(Array.from({ length: 33 }, (_, i) => 4502 + i));
    // A third worker (another project's pool) shares the first one's part, never a port outside the range.
    expect(tapiPortsOf('3')).toEqual(one);
    expect(tapiPortsOf(undefined)).toHaveLength(33);
    expect(tapiPortsOf('x')).toHaveLength(33);
  });

  it('hands out ports of this worker part in turn, so that two calls without a bind get different ports', async () => {
    const mine = tapiPortsOf(process.env.VITEST_POOL_ID);
    const a = await freeTapiPort();
    const b = await freeTapiPort();
    expect(mine).toContain(a);
    expect(mine).toContain(b);
    expect(b).not.toBe(a);
  });

  it('skips a TAPI port that is bound', async () => {
    const mine = tapiPortsOf(process.env.VITEST_POOL_ID);
    // Bind every port of this part but one: that one must be the answer, whatever the turn.
    const free = await freeTapiPort();
    for (const port of mine) {
      if (port === free || !(await portFree(port))) continue;
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
      held.push(server);
    }
    for (let i = 0; i < 3; i += 1) expect(await freeTapiPort()).toBe(free);
  });

  it('says which ports are taken when the whole part is bound', async () => {
    const mine = tapiPortsOf(process.env.VITEST_POOL_ID);
    for (const port of mine) {
      if (!(await portFree(port))) continue;
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
      held.push(server);
    }
    await expect(freeTapiPort()).rejects.toThrow(/every port of this worker's part of the TAPI range on 127\.0\.0\.1 is taken \(45\d\d/);
  });

  it('gives a kernel-picked port that can be bound', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(await portFree(port)).toBe(true);
  });
});
