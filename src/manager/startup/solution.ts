// Before the manager uses its tables: is the crm-tapi solution installed, and
// new enough? If not, it says so in one sentence and waits (checking again
// with the CRM back-off), so an admin can import the solution while it runs;
// it never retries 404s on tables that do not exist. An account that may not
// read solutions (no prvReadSolution) is told once and the start goes on; one
// that may not even read our settings has no role of ours yet and waits too.
import { checkSolution } from '../../dataverse/solution/installed.ts';
import type { DataverseApi, DataverseLogger } from '../../dataverse/web-api/types.ts';
import { CrmTapiError } from '../../protocol/errors.ts';
import { sleep as crmSleep, StartAbortedError } from './crm.ts';

const sleep = (ms: number, signal: AbortSignal | undefined): Promise<void> => crmSleep(ms, signal, 'the crm-tapi solution');

export const SOLUTION_CODES = { missing: 'solution-missing', outdated: 'solution-outdated', unassigned: 'solution-role-missing' } as const;

export interface WaitForSolutionOptions {
  logger: DataverseLogger;
  organisation: string;
  maxDelayMs: number;
  firstDelayMs: number;
  signal?: AbortSignal;
  required?: string;
  prefix?: string;
}

export async function waitForSolution(api: DataverseApi, options: WaitForSolutionOptions): Promise<string | undefined> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      const checked = await checkSolution(api, options.organisation, { ...(options.required ? { required: options.required } : {}), ...(options.prefix ? { prefix: options.prefix } : {}) });
      if (checked === undefined) {
        options.logger.warn({ code: 'forbidden' }, 'the manager\'s account may not read solutions (prvReadSolution, part of the TapiManager Account role): the solution version is not checked');
        return undefined;
      }
      const { state, sentence } = checked;
      if (state.kind === 'ok') {
        options.logger.info({ version: state.version }, sentence);
        return state.version;
      }
      const delay = Math.min(options.maxDelayMs, options.firstDelayMs * 2 ** Math.min(attempt - 1, 20));
      options.logger.error({ attempt, code: SOLUTION_CODES[state.kind], delayMs: delay }, `${sentence}; the manager waits and checks again`);
      await sleep(delay, options.signal);
    } catch (err) {
      if (err instanceof StartAbortedError) throw err;
      const delay = Math.min(options.maxDelayMs, options.firstDelayMs * 2 ** Math.min(attempt - 1, 20));
      const code = err instanceof CrmTapiError ? err.code : 'error';
      options.logger.warn({ attempt, code, delayMs: delay }, `waiting to check the crm-tapi solution: ${code}: ${(err as Error).message}`);
      await sleep(delay, options.signal);
    }
  }
}
