// WorkerExits: what a synchronously closing owner (journal, outbox writer, checkpointer) waits on so
// that nothing of it runs after its close — pending while a worker runs, resolved once it exited,
// and a worker that never ends terminated after the grace instead of hanging a shutdown.
import { execFile } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { WorkerExits } from '../../src/platform/worker-exits.ts';

/** A worker that ends when told 'close' (as the owners' workers do), or never when `stuck`. */
const spawn = (stuck = false) =>
  new Worker(stuck ? `for (;;) {}` : `require('node:worker_threads').parentPort.on('message', (m) => { if (m === 'close') process.exit(0); });`, { eval: true });

const settled = async (p: Promise<void>, ms: number) => Promise.race([p.then(() => true), sleep(ms).then(() => false)]);

describe('WorkerExits', () => {
  it('resolves at once when no worker was tracked', async () => {
    const exits = new WorkerExits();
    expect(exits.running).toBe(0);
    expect(await settled(exits.exited(), 50)).toBe(true);
  });

  it('stays pending while a tracked worker runs and resolves once it has exited', async () => {
    const exits = new WorkerExits();
    const worker = spawn();
    exits.track(worker);
    expect(exits.running).toBe(1);
    const exited = exits.exited();
    expect(await settled(exited, 100)).toBe(false);
    let exitSeen = false;
    worker.once('exit', () => (exitSeen = true));
    worker.postMessage('close');
    await exited;
    // The worker's own 'exit' came first: nothing of it is left to run on this thread.
    expect(exitSeen).toBe(true);
    expect(exits.running).toBe(0);
  });

  it('keeps the process alive while it waits for a worker its owner unref\'d, so what the closer does next still runs', async () => {
    const module = fileURLToPath(new URL('../../src/platform/worker-exits.ts', import.meta.url));
    // The worker takes 200 ms to end once told; nothing else keeps the process alive meanwhile.
    const script = `
      const { Worker } = require('node:worker_threads');
      import(${JSON.stringify(module)}).then(({ WorkerExits }) => {
        const worker = new Worker("require('node:worker_threads').parentPort.on('message', () => setTimeout(() => process.exit(0), 200));", { eval: true });
        worker.unref();
        const exits = new WorkerExits();
        exits.track(worker);
        worker.postMessage('close');
        exits.exited().then(() => console.log('after the worker exited'));
      });`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', script], { timeout: 20_000 });
    expect(stdout).toContain('after the worker exited');
  }, 30_000);

  it('terminates a worker that has not exited within the grace', async () => {
    const exits = new WorkerExits();
    const worker = spawn(true);
    exits.track(worker);
    let code: number | undefined;
    worker.once('exit', (c) => (code = c));
    const started = Date.now();
    await exits.exited(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    // Terminated, not ended by itself: terminate() gives exit code 1.
    expect(code).toBe(1);
    expect(exits.running).toBe(0);
  }, 10_000);
});
