// A bad argument to a bench script is a usage error, answered as bench/run.ts and the crm-tapi commands answer
// one (bench/support.ts usageError): status 2, one line on stderr, nothing measured. The option-specific messages
// are checked beside each script's output (manager-output, manager-split-output, dataverse-batch-output).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('bench scripts\' usage errors', () => {
  it('end a bad number before anything is measured: status 2, one line naming the option and what was given', async () => {
    for (const [script, args, message] of [
      ['bench/protocol.ts', ['--rounds', '0'], '--rounds must be a positive whole number; got "0"'],
      ['bench/protocol.ts', ['--ms', 'fast'], '--ms must be a positive whole number; got "fast"'],
      ['bench/outbox.ts', ['--writes', '2.5'], '--writes must be a positive whole number; got "2.5"'],
    ] as const) {
      const failed = await run(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, timeout: 30_000 }).then(() => undefined, (e: { code: number; stderr: string; stdout: string }) => e);
      expect(failed, `${script} ${args.join(' ')}`).toMatchObject({ code: 2, stdout: '', stderr: `error: invalid-option: ${message}\n` });
    }
  }, 90_000);
});
