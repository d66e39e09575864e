// The key worker's own code (it runs inside the worker thread that
// worker-keys.ts starts): builds the directory's NumberKeys from their recipe
// and turns pages of typed numbers into key codes with encodePhones, the
// same function the main thread uses when it normalises itself.
import { parentPort, workerData } from 'node:worker_threads';
import type { KeysRecipe, NumberKeys } from './number-keys.ts';
import { encodePhones, unpackPhones, type PackedPhones } from './page-keys.ts';

export type KeyRequest = PackedPhones;

export type KeyReply = { readonly ready: true } | { readonly codes: Float64Array; readonly texts: Map<number, string> | undefined } | { readonly failed: string };

const port = parentPort;
if (port === null) throw new Error('key-worker.ts runs only as a worker thread');
const { recipe } = workerData as { recipe: KeysRecipe };
const factory = ((await import(recipe.module)) as Record<string, unknown>)[recipe.exportName];
if (typeof factory !== 'function') throw new Error(`${recipe.module} exports no function ${recipe.exportName}`);
const keys = (factory as (argument: unknown) => NumberKeys<unknown>)(recipe.argument);
const crmKey = (typed: string): string | undefined => keys.crmKey(typed);

port.on('message', (request: KeyRequest) => {
  let reply: KeyReply;
  try {
    reply = encodePhones(unpackPhones(request), crmKey);
  } catch (err) {
    reply = { failed: (err as Error)?.message ?? String(err) };
  }
  port.postMessage(reply, 'codes' in reply ? [reply.codes.buffer as ArrayBuffer] : []);
});
port.postMessage({ ready: true } satisfies KeyReply);
