// A delivery worker that never finishes starting: it neither says it is ready nor answers anything,
// closing included (delivery-worker.test.ts) — what a worker still loading its modules or signing in
// looks like to the main thread.
import { parentPort } from 'node:worker_threads';

parentPort?.on('message', () => undefined);
