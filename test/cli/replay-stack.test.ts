// `crm-tapi replay SESSION --through-stack --expect GOLDEN.json`: every
// recorded session in fixtures/sessions/ (the simulator's and the ones
// recorded from real SIP calls) played through connector, manager and
// simulated Dataverse gives the outcome in its golden file; a differing
// golden gets a diff and exit 1; --update-golden writes the outcome. The
// replay runs on a virtual clock: the times in the CRM are the recording's,
// whatever the pace; a shared line files a call under its oldest record.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goldenPath } from '../../src/cli/commands/replay.ts';
import { replayThroughStack, type StackOutcome } from '../../src/cli/commands/replay-stack.ts';
import { jsonLines, lineDiff } from '../../src/cli/commands/json-diff.ts';
import { readRecordingFile, type Recording } from '../../src/connector/recording/format.ts';
import { isoSeconds } from '../../simulator/dataverse/clock.ts';

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
  it('covers the SIP sessions and the ones recorded through the tapi provider too', () => {
    expect(sessions.filter((f) => f.startsWith('sip-')).length).toBeGreaterThanOrEqual(6);
    expect(sessions.filter((f) => f.startsWith('tapi-')).length).toBeGreaterThanOrEqual(5);
  });

  it.each(sessions)('%s gives its golden outcome', async (file) => {
    const session = join(root, 'fixtures/sessions', file);
    const golden = JSON.parse(readFileSync(goldenPath(session), 'utf8')) as StackOutcome;
    const outcome = await replayThroughStack(session, await readRecordingFile(session), golden.assignments);
    expect(outcome, lineDiff(jsonLines(golden), jsonLines(outcome))).toEqual(golden);
  }, 60_000);
});

/** The recorded moment of a call's first event, to the second as Dataverse keeps it. */
function recordedStart(recording: Recording, callId: string): string {
  const first = recording.entries.find((e) => 'event' in e && e.event.type === 'call' && e.event.callId === callId);
  return isoSeconds(Date.parse(recording.header.startedAt) + (first?.t ?? Number.NaN));
}

describe('the virtual clock of a replay through the stack', () => {
  it.each(sessions)('%s: every call log starts at its call\'s first recorded moment and ends no earlier', async (file) => {
    const session = join(root, 'fixtures/sessions', file);
    const recording = await readRecordingFile(session);
    const golden = JSON.parse(readFileSync(goldenPath(session), 'utf8')) as StackOutcome;
    for (const [callId, call] of Object.entries(golden.calls)) {
      if (call.callLog === undefined) continue;
      expect(call.callLog.start, callId).toBe(recordedStart(recording, callId));
      expect(Date.parse(call.callLog.end as string)).toBeGreaterThanOrEqual(Date.parse(call.callLog.start as string));
      if (call.phoneCall !== undefined) expect(call.phoneCall.actualstart, callId).toBe(call.callLog.start);
    }
  });

  // The virtual clock made this defect visible (the second id's call log started at 00:00:04, the end):
  // the manager forgot the alias when c1 ended, so c2's own idle started a call of its own.
  it('related-call-id.jsonl: one call reported under two ids gets one call log and one popup', () => {
    const golden = JSON.parse(readFileSync(join(root, 'fixtures/sessions/related-call-id.golden.json'), 'utf8')) as StackOutcome;
    expect(golden.calls.c1?.callLog?.start).toBe('2026-01-01T00:00:00Z');
    expect(golden.calls.c1?.popups).toEqual({ anna: ['offering', 'disconnected', 'idle'] });
    expect(golden.calls.c2).toEqual({ popups: {} });
  });

  it.each([
    ['sip-incoming-answered.jsonl', 1],
    ['incoming-answered.jsonl', 20],
  ])('%s played at %i× the recorded pace gives the golden outcome, times included', async (file, speed) => {
    const session = join(root, 'fixtures/sessions', file);
    const golden = JSON.parse(readFileSync(goldenPath(session), 'utf8')) as StackOutcome;
    const started = Date.now();
    const outcome = await replayThroughStack(session, await readRecordingFile(session), golden.assignments, { speed });
    expect(outcome, lineDiff(jsonLines(golden), jsonLines(outcome))).toEqual(golden);
    // It really played on the wall clock (so a wall-clock stamp would have shown), yet the times are the recording's.
    const recording = await readRecordingFile(session);
    expect(Date.now() - started).toBeGreaterThanOrEqual((recording.entries.at(-1)?.t ?? 0) / speed);
  }, 90_000);

  it('a shared line files a call nobody answered under its oldest line record: swap who was assigned first and the other user gets it', async () => {
    const session = join(root, 'fixtures/sessions/missed-call.jsonl');
    const golden = JSON.parse(readFileSync(goldenPath(session), 'utf8')) as StackOutcome;
    expect(golden.assignments['22']).toEqual(['emily', 'jens']);
    expect(golden.calls.c1?.callLog?.user).toBe('emily');
    expect(golden.calls.c1?.phoneCall?.owner).toBe('emily');
    const swapped = await replayThroughStack(session, await readRecordingFile(session), { ...golden.assignments, '22': ['jens', 'emily'] });
    const call = swapped.calls.c1;
    expect(call?.callLog?.user).toBe('jens');
    expect(call?.phoneCall?.owner).toBe('jens');
    // Both users of the shared phone saw the whole call, whoever it is filed under.
    expect(call?.popups).toEqual(golden.calls.c1?.popups);
    expect(call?.popups).toEqual({ emily: ['offering', 'disconnected', 'idle'], jens: ['offering', 'disconnected', 'idle'] });
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
  }, 400_000);
});
