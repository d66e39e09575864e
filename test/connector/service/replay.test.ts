// A recorded session through the connector: the manager sees the calls of the
// recording in their recorded order (the CI use of the replay provider).
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { ReplayProvider } from '../../../src/connector/providers/replay.ts';
import { readRecordingFile } from '../../../src/connector/recording/format.ts';
import { ConnectorService } from '../../../src/connector/service.ts';
import { FakeManager, until } from '../support/fake-manager.ts';
import { connectorConfig, LogCapture } from '../support/harness.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('replay provider through the connector', () => {
  it.each(['incoming-answered', 'transfer', 'pbx-restart'])('forwards %s exactly as recorded', async (name) => {
    const recording = await readRecordingFile(new URL(`../../../fixtures/sessions/${name}.jsonl`, import.meta.url).pathname);
    const expected = recording.entries.flatMap((e) => ('event' in e && e.event.type === 'call' ? [`${e.event.callId} ${e.event.state}`] : []));
    expect(expected.length).toBeGreaterThan(0);
    const m = await FakeManager.start();
    cleanups.push(() => m.close());
    const provider = new ReplayProvider(recording, { fast: true });
    const service = new ConnectorService({
      config: connectorConfig(m),
      provider,
      logger: pino({ level: 'debug' }, new LogCapture()),
      version: '0.1.0',
      random: () => 0.5,
    });
    cleanups.push(() => service.stop());
    await service.start();
    await provider.finished;
    await until(() => m.events.filter((e) => e.command === 'callState').length >= expected.length, 5_000, 'every recorded call event');
    expect(m.events.filter((e) => e.command === 'callState').map((e) => (e.command === 'callState' ? `${e.callId} ${e.state}` : ''))).toEqual(expected);
    expect(m.violations).toEqual([]);
  });
});
