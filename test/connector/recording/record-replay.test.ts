import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { LineProviderError } from '../../../src/connector/line-provider.ts';
import type { ProviderEvent } from '../../../src/connector/line-provider.ts';
import { ReplayProvider } from '../../../src/connector/providers/replay.ts';
import { encodeEntry, encodeHeader, parseRecording, readRecordingFile, RecordingError } from '../../../src/connector/recording/format.ts';
import { RecordingProvider } from '../../../src/connector/recording/recorder.ts';
import { fileSink, memorySink, RecordingWriteError } from '../../../src/connector/recording/sink.ts';
import { playScenario } from '../../../simulator/pbx/record-scenario.ts';
import { parseScenario } from '../../../simulator/pbx/scenario.ts';
import { recordFlow } from '../provider-contract/harness.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const scenarios = readdirSync(join(root, 'fixtures/scenarios')).filter((f) => f.endsWith('.yaml'));
// sip-*.jsonl were recorded from real SIP calls (scripts/record-sip-sessions.ts), not from a scenario;
// tapi-*.jsonl through the tapi provider (scripts/record-tapi-sessions.ts; checked by tapi-recording.test.ts).
const sessions = readdirSync(join(root, 'fixtures/sessions')).filter((f) => f.endsWith('.jsonl') && !f.startsWith('sip-') && !f.startsWith('tapi-'));
const tmp = mkdtempSync(join(tmpdir(), 'crm-tapi-rec-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function replayAll(text: string, options: ConstructorParameters<typeof ReplayProvider>[1] = { fast: true }): Promise<ProviderEvent[]> {
  const replay = new ReplayProvider(parseRecording(text), options);
  const events: ProviderEvent[] = [];
  replay.subscribe((event) => events.push(event));
  await replay.open();
  await replay.finished;
  await replay.close();
  return events;
}

async function record(file: string): Promise<{ text: string; events: ProviderEvent[] }> {
  const sink = memorySink();
  const { events } = await playScenario(parseScenario(readFileSync(join(root, 'fixtures/scenarios', file), 'utf8'), file), sink);
  return { text: sink.text(), events };
}

describe('record then replay', () => {
  it.each(scenarios)('%s: the replay emits exactly the recorded event stream', async (file) => {
    const { text, events } = await record(file);
    expect(events.length).toBeGreaterThan(0);
    expect(await replayAll(text)).toEqual(events);
  });

  it.each(sessions)('fixtures/sessions/%s is what recording its scenario gives today', async (file) => {
    const committed = readFileSync(join(root, 'fixtures/sessions', file), 'utf8');
    expect((await record(file.replace(/\.jsonl$/, '.yaml'))).text).toBe(committed);
  });

  it('recording a replay gives the same events again', async () => {
    const text = readFileSync(join(root, 'fixtures/sessions/hunt-group.jsonl'), 'utf8');
    const sink = memorySink();
    const recorder = new RecordingProvider(new ReplayProvider(parseRecording(text), { fast: true }), sink);
    await recorder.open();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await recorder.close();
    const events = (r: string) => parseRecording(r).entries.flatMap((e) => ('event' in e ? [e.event] : []));
    expect(events(sink.text())).toEqual(events(text));
    expect(parseRecording(sink.text()).header.provider).toBe('replay');
  });

  it('a command is written before the events it causes', async () => {
    const entries = parseRecording(await recordFlow('outbound')).entries;
    const makeCall = entries.findIndex((e) => 'command' in e && e.command === 'makeCall');
    const dialtone = entries.findIndex((e) => 'event' in e && e.event.type === 'call' && e.event.state === 'dialtone');
    expect(makeCall).toBeGreaterThanOrEqual(0);
    expect(makeCall).toBeLessThan(dialtone);
    const failed = entries.find((e) => 'command' in e && e.ok === false);
    expect(failed).toMatchObject({ command: 'drop', ok: false, error: { code: 'no-such-call' } });
  });
});

describe('replay pacing and commands', () => {
  const header = encodeHeader({ format: 'crm-tapi-recording', version: 1, provider: 't', startedAt: '2026-01-01T00:00:00Z', lines: [{ name: '25', address: '25', permanentId: 'p', mediaModes: ['audio'], inService: true }] });
  const ev = (at: number, state: string) => encodeEntry({ t: at, event: { type: 'call', at, callId: 'c1', line: '25', state, origin: 'inbound' } as ProviderEvent });
  const timed = header + ev(0, 'offering') + encodeEntry({ t: 100, command: 'answer', args: ['c1'], ok: true }) + ev(100, 'connected') + ev(300, 'disconnected') + ev(300, 'idle') + encodeEntry({ t: 300, end: 'closed' });

  it('real time at speed 3 takes about a third of the recorded 300 ms; fast is immediate', async () => {
    let started = performance.now();
    await replayAll(timed, { speed: 3 });
    const paced = performance.now() - started;
    expect(paced).toBeGreaterThanOrEqual(90);
    expect(paced).toBeLessThan(1000);
    started = performance.now();
    expect(await replayAll(timed, { fast: true })).toHaveLength(4);
    expect(performance.now() - started).toBeLessThan(90);
  });

  it('await mode: the timeline waits for the recorded command and gives its recorded outcome', async () => {
    const replay = new ReplayProvider(parseRecording(timed), { fast: true, commands: 'await' });
    const states: string[] = [];
    replay.subscribe((e) => e.type === 'call' && states.push(e.state));
    await replay.open();
    await replay.settled();
    expect(states).toEqual(['offering']);
    const wrong = await replay.drop('c1').catch((err: unknown) => err);
    expect(wrong).toBeInstanceOf(LineProviderError);
    expect((wrong as LineProviderError).message).toMatch(/the recording expects answer\(c1\) next/);
    await replay.answer('c1');
    await replay.finished;
    expect(states).toEqual(['offering', 'connected', 'disconnected', 'idle']);
    await replay.close();
  });

  it('follow mode refuses commands with the right code and accepts reinitialize', async () => {
    const replay = new ReplayProvider(parseRecording(timed), { fast: true });
    await replay.open();
    await replay.settled();
    await expect(replay.makeCall('99', '1')).rejects.toMatchObject({ code: 'unknown-line' });
    await expect(replay.answer('c9')).rejects.toMatchObject({ code: 'no-such-call' });
    await expect(replay.reinitialize()).resolves.toBeUndefined();
    await replay.close();
    await expect(replay.answer('c1')).rejects.toMatchObject({ code: 'provider-down' });
  });

  it('rejects a nonsense speed', () => {
    expect(() => new ReplayProvider(parseRecording(timed), { speed: 0 })).toThrow(LineProviderError);
  });
});

describe('recording files', () => {
  it('the file sink writes a recording that reads back; a missing directory fails on close with a typed error', async () => {
    const path = join(tmp, 'session.jsonl');
    const text = await recordFlow('inbound');
    const sink = fileSink(path);
    for (const line of text.split(/(?<=\n)/)) sink.write(line);
    await sink.close();
    expect((await readRecordingFile(path)).entries.length).toBe(parseRecording(text).entries.length);
    const bad = fileSink(join(tmp, 'no/such/dir/x.jsonl'));
    bad.write('x\n');
    await expect(bad.close()).rejects.toBeInstanceOf(RecordingWriteError);
  });

  it('a missing recording is recording-not-found', async () => {
    await expect(readRecordingFile(join(tmp, 'nope.jsonl'))).rejects.toMatchObject({ code: 'recording-not-found' });
    await expect(readRecordingFile(join(tmp, 'nope.jsonl'))).rejects.toBeInstanceOf(RecordingError);
  });
});
