// A delivery worker that dies on the first write it is given (delivery-worker.test.ts):
// what a crash in the worker's thread looks like to the main thread.
import { parentPort } from 'node:worker_threads';

parentPort?.postMessage({ type: 'ready' });
parentPort?.on('message', () => process.exit(3));
