// `crm-tapi replay SESSION --through-stack --expect GOLDEN.json`: every
// recorded session in fixtures/sessions/ (the simulator's and the ones
// recorded from real SIP calls) played through connector, manager and
// simulated Dataverse gives the outcome in its golden file; a differing
// golden gets a diff and exit 1; --update-golden writes the outcome.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goldenPath } from '../../src/cli/commands/replay.ts';
import { replayThroughStack, type StackOutcome } from '../../src/cli/commands/replay-stack.ts';
import { jsonLines, lineDiff } from '../../src/cli/commands/json-diff.ts';
import { readRecordingFile } from '../../src/connector/recording/format.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/crm-tapi.js');
const sessions = readdirSync(join(root, 'fixtures/sessions')).filter((f) => f.endsWith('.jsonl'));

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr });
    });
  });
}

describe('recorded sessions through the whole stack', () => {
  it('covers the SIP sessions too', () => {
    expect(sessions.filter((f) => f.startsWith('sip-')).length).toBeGreaterThanOrEqual(6);
  });

  it.each(sessions)('%s gives its golden outcome', async (file) => {
    const session = join(root, 'fixtures/sessions', file);
    const golden = JSON.parse(readFileSync(goldenPath(session), 'utf8')) as StackOutcome;
    const outcome = await replayThroughStack(session, await readRecordingFile(session), golden.assignments);
    expect(outcome, lineDiff(jsonLines(golden), jsonLines(outcome))).toEqual(golden);
  }, 60_000);
});

describe('crm-tapi replay --through-stack', () => {
  it('prints a diff and exits 1 when the outcome differs; --update-golden writes it; then it matches', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crm-tapi-golden-'));
    try {
      const session = join(dir, 'sip-rejected.jsonl');
      copyFileSync(join(root, 'fixtures/sessions/sip-rejected.jsonl'), session);
      const golden = JSON.parse(readFileSync(join(root, 'fixtures/sessions/sip-rejected.golden.json'), 'utf8')) as StackOutcome;
      const wrong = structuredClone(golden);
      (wrong.calls['sip-1'] as { popups: Record<string, string[]> }).popups.anna = ['offering', 'connected', 'idle'];
      const path = join(dir, 'wrong.json');
      writeFileSync(path, JSON.stringify(wrong));
      const mismatch = await cli(['replay', session, '--through-stack', '--expect', path]);
      expect(mismatch.code).toBe(1);
      expect(mismatch.stdout).toMatch(/^- +"connected",$/m);
      expect(mismatch.stdout).toMatch(/^\+ +"disconnected",$/m);
      expect(mismatch.stderr).toMatch(/^error: outcome-mismatch: /);

      const updated = await cli(['replay', session, '--through-stack', '--expect', path, '--update-golden']);
      expect(updated.code).toBe(0);
      expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(golden);
      const again = await cli(['replay', session, '--through-stack', '--expect', path]);
      expect(again.stdout).toMatch(/^ok: /);
      expect(again.code).toBe(0);

      expect((await cli(['replay', session, '--expect', path])).stderr).toMatch(/^error: invalid-options: --expect and --update-golden need --through-stack/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
