// A worker thread that runs one of our own modules, in a source checkout (a
// .ts file: tsx is registered first, as bin/crm-tapi.js does) and in a release
// (compiled .js beside its caller) alike. Used by the directory's key worker
// and the outbox's delivery worker.
import { LEAVE_EVENT_LOOP_CPU_JS, LOWER_THIS_THREAD_JS } from './thread-priority.ts';

// Plain JavaScript so it runs without a TypeScript loader.
const boot = (background: boolean) =>
  new URL(
    `data:text/javascript,${encodeURIComponent(`
import { workerData } from 'node:worker_threads';
${LEAVE_EVENT_LOOP_CPU_JS}
${background ? LOWER_THIS_THREAD_JS : ''}
if (workerData.tsx) (await import(workerData.tsx)).register();
await import(workerData.entry);
`)}`,
  );

/** The worker's boot script; `background`: at the background threads' priority (thread-priority.ts). */
export const MODULE_WORKER_BOOT = boot(false);
export const BACKGROUND_MODULE_WORKER_BOOT = boot(true);

/** What the boot script reads from `workerData`: the module to import and, for a .ts module, tsx's loader. */
export function moduleWorkerData(entry: string): { entry: string; tsx?: string } {
  return entry.endsWith('.ts') ? { entry, tsx: import.meta.resolve('tsx/esm/api') } : { entry };
}

/** Module `name` beside `callerUrl`, with the caller's own extension (.ts in a checkout, .js in a release). */
export function siblingModule(name: string, callerUrl: string): string {
  return new URL(`./${name}${callerUrl.slice(callerUrl.lastIndexOf('.'))}`, callerUrl).href;
}
