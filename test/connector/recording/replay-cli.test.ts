// `crm-tapi replay` as a CI pipeline uses it: a recorded session in, its events out as JSON lines.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRecording } from '../../../src/connector/recording/format.ts';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(root, 'bin/crm-tapi.js');
const tmp = mkdtempSync(join(tmpdir(), 'crm-tapi-replay-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('crm-tapi replay', () => {
  it('prints the recorded events; names the line of a corrupt file; rejects a bad speed', async () => {
    const session = join(root, 'fixtures/sessions/transfer.jsonl');
    const text = readFileSync(session, 'utf8');
    const corrupt = join(tmp, 'corrupt.jsonl');
    const lines = text.split('\n');
    lines[3] = '{"t":1,"event":{"type":"call"';
    writeFileSync(corrupt, lines.join('\n'));
    const [ok, bad, speed, missing] = await Promise.all([
      run(process.execPath, [bin, 'replay', session, '--fast']),
      run(process.execPath, [bin, 'replay', corrupt, '--fast']).catch((e: unknown) => e),
      run(process.execPath, [bin, 'replay', session, '--speed', 'fast']).catch((e: unknown) => e),
      run(process.execPath, [bin, 'replay', join(tmp, 'none.jsonl')]).catch((e: unknown) => e),
    ]);
    const expected = parseRecording(text).entries.flatMap((e) => ('event' in e ? [JSON.stringify(e.event)] : []));
    expect(ok.stdout.trim().split('\n')).toEqual(expected);
    expect(bad).toMatchObject({ code: 1 });
    expect((bad as { stderr: string }).stderr).toMatch(/^error: recording-corrupt: .*corrupt\.jsonl: line 4: not valid JSON/m);
    expect((speed as { stderr: string }).stderr).toMatch(/^error: invalid-speed: /m);
    expect((missing as { stderr: string }).stderr).toMatch(/^error: recording-not-found: /m);
  }, 60_000);
});
