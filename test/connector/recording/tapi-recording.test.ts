// Recording from the `tapi` provider (docs/replay.md): scenarios played by the
// simulated PBX behind the fake tapi32 are recorded through the real addon and
// the tapi provider, wrapped in the session recorder as any provider is. The
// recordings are the committed fixtures/sessions/tapi-*.jsonl byte for byte, a
// fresh one replayed through the whole stack gives its golden, and each golden
// equals the simulator provider's outcome for the same scenario.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FakeTspControl, TapiBinding } from '../../../src/connector/providers/tapi/binding.ts';
import { readRecordingFile } from '../../../src/connector/recording/format.ts';
import { goldenPath } from '../../../src/cli/commands/replay.ts';
import { replayThroughStack, type StackOutcome } from '../../../src/cli/commands/replay-stack.ts';
import { jsonLines, lineDiff } from '../../../src/cli/commands/json-diff.ts';
import { recordTapiSessions, TAPI_SCENARIOS } from '../../../scripts/record-tapi-sessions.ts';
import { fakeTapiBinding, NATIVE_BUILD_TIMEOUT_MS } from '../../support/native-addon.ts';

const sessions = fileURLToPath(new URL('../../../fixtures/sessions/', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'crm-tapi-tapi-rec-'));
let binding: TapiBinding & FakeTspControl;
let recorded: string[] = [];

beforeAll(async () => {
  binding = await fakeTapiBinding();
  recorded = await recordTapiSessions(binding, out);
}, NATIVE_BUILD_TIMEOUT_MS);

afterAll(() => rmSync(out, { recursive: true, force: true }));

const golden = (file: string) => JSON.parse(readFileSync(goldenPath(file), 'utf8')) as StackOutcome;

describe('recording through the tapi provider on the fake tapi32', () => {
  it('records every scenario, byte for byte the committed fixture, as a session of the tapi provider', async () => {
    expect(recorded.map((p) => p.slice(out.length + 1))).toEqual(TAPI_SCENARIOS.map((n) => `tapi-${n}.jsonl`));
    for (const path of recorded) {
      const name = path.slice(out.length + 1);
      expect(readFileSync(path, 'utf8'), name).toBe(readFileSync(join(sessions, name), 'utf8'));
      const recording = await readRecordingFile(path);
      expect(recording.header.provider).toBe('tapi');
      expect(recording.entries.filter((e) => 'event' in e).length, name).toBeGreaterThan(0);
    }
  });

  it('a fresh recording replayed through the whole stack gives the golden outcome', async () => {
    const path = join(out, 'tapi-incoming-answered.jsonl');
    const expected = golden(join(sessions, 'tapi-incoming-answered.jsonl'));
    const outcome = await replayThroughStack(path, await readRecordingFile(path), expected.assignments);
    expect(outcome, lineDiff(jsonLines(expected), jsonLines(outcome))).toEqual(expected);
    // What the CRM got is the recording's: the answered call with its times.
    expect(Object.values(outcome.calls)[0]?.callLog).toMatchObject({ user: 'anna', missed: false, start: '2026-01-01T00:00:00Z', connected: '2026-01-01T00:00:03Z', end: '2026-01-01T00:00:43Z', durationSeconds: 40 });
  }, 60_000);

  it.each(TAPI_SCENARIOS)('%s: through tapi the stack gives what it gives through the simulator provider, call by call', (name) => {
    const viaTapi = golden(join(sessions, `tapi-${name}.jsonl`));
    const viaSimulator = golden(join(sessions, `${name}.jsonl`));
    expect(viaTapi.assignments).toEqual(viaSimulator.assignments);
    // The tapi provider names calls by its own handles (t1-1 …); the order of first appearance is the same.
    expect(Object.values(viaTapi.calls)).toEqual(Object.values(viaSimulator.calls));
    expect(Object.keys(viaTapi.calls).length).toBeGreaterThan(0);
  });
});
