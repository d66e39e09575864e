// Records fixtures/sessions/sip-*.jsonl from real SIP calls: Kamailio on a free
// loopback port, extension 25 on the SIP provider (through the recorder, as
// the connector would use it), and the lab's other phones as the outside
// world. Run: npx tsx scripts/record-sip-sessions.ts [OUT_DIR]
// Then refresh their goldens: crm-tapi replay fixtures/sessions/sip-….jsonl --through-stack --update-golden
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProviderEvent } from '../src/connector/line-provider.ts';
import { SipLineProvider } from '../src/connector/providers/sip/provider.ts';
import { RecordingProvider } from '../src/connector/recording/recorder.ts';
import { fileSink } from '../src/connector/recording/sink.ts';
import { GATEWAY_USER, startKamailio } from '../src/lab/kamailio.ts';
import { LAB_EXTERNAL_CALLER, labAccount } from '../src/lab/lab.ts';

const root = fileURLToPath(new URL('../', import.meta.url));
const out = process.argv[2] ?? join(root, 'fixtures', 'sessions');
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until(what: string, probe: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

type Flow = (p: { line: RecordingProvider; sip: SipLineProvider; world: SipLineProvider; events: ProviderEvent[] }) => Promise<void>;

const offered = (events: ProviderEvent[]) => events.find((e) => e.type === 'call' && e.state === 'offering') as Extract<ProviderEvent, { type: 'call' }> | undefined;
const idle = (events: ProviderEvent[], n = 1) => events.filter((e) => e.type === 'call' && e.state === 'idle').length >= n;
const worldCall = (world: SipLineProvider, line: string) => world.activeCalls().find((c) => c.line === line);

const FLOWS: Record<string, Flow> = {
  'sip-incoming-answered': async ({ line, world, events }) => {
    await world.makeCall(LAB_EXTERNAL_CALLER, '25');
    await until('25 to ring', () => offered(events) !== undefined);
    await sleep(300);
    await line.answer(offered(events)?.callId as string);
    await until('connected', () => worldCall(world, LAB_EXTERNAL_CALLER)?.state === 'connected');
    await sleep(500);
    await world.drop(worldCall(world, LAB_EXTERNAL_CALLER)?.callId as string);
    await until('idle', () => idle(events));
  },
  'sip-missed': async ({ world, events }) => {
    await world.makeCall(LAB_EXTERNAL_CALLER, '25');
    await until('25 to ring', () => offered(events) !== undefined);
    await sleep(600);
    await world.drop(worldCall(world, LAB_EXTERNAL_CALLER)?.callId as string);
    await until('idle', () => idle(events));
  },
  'sip-rejected': async ({ line, world, events }) => {
    await world.makeCall(LAB_EXTERNAL_CALLER, '25');
    await until('25 to ring', () => offered(events) !== undefined);
    await sleep(300);
    await line.reject(offered(events)?.callId as string);
    await until('idle', () => idle(events));
  },
  'sip-click-to-dial': async ({ line, world, events }) => {
    await line.makeCall('25', '26');
    await until('26 to ring', () => worldCall(world, '26')?.state === 'offering');
    await sleep(300);
    await world.answer(worldCall(world, '26')?.callId as string);
    await until('connected', () => events.some((e) => e.type === 'call' && e.state === 'connected'));
    await sleep(500);
    await world.drop(worldCall(world, '26')?.callId as string);
    await until('idle', () => idle(events));
  },
  'sip-unknown-extension': async ({ line, events }) => {
    await line.makeCall('25', '29');
    await until('idle', () => idle(events));
  },
  'sip-baresip-killed': async ({ line, sip, world, events }) => {
    await world.makeCall(LAB_EXTERNAL_CALLER, '25');
    await until('25 to ring', () => offered(events) !== undefined);
    await line.answer(offered(events)?.callId as string);
    await until('connected', () => events.some((e) => e.type === 'call' && e.state === 'connected'));
    await sleep(300);
    process.kill(sip.pids()[0] as number, 'SIGKILL');
    await until('out of service', () => events.some((e) => e.type === 'lineOutOfService'));
    await until('back in service', () => events.some((e) => e.type === 'lineInService'), 20_000);
    for (const c of world.activeCalls()) await world.drop(c.callId).catch(() => undefined);
  },
};

async function main(): Promise<void> {
  const kamailio = await startKamailio();
  const world = new SipLineProvider({ phones: [{ accounts: ['26', GATEWAY_USER, LAB_EXTERNAL_CALLER].map((u) => labAccount(u, kamailio.domain)) }] });
  try {
    await world.open();
    for (const [name, flow] of Object.entries(FLOWS)) {
      const sip = new SipLineProvider({ phones: [{ accounts: [labAccount('25', kamailio.domain)] }] });
      const path = join(out, `${name}.jsonl`);
      const line = new RecordingProvider(sip, fileSink(path));
      const events: ProviderEvent[] = [];
      line.subscribe((e) => events.push(e));
      await line.open();
      await flow({ line, sip, world, events });
      await sleep(200);
      await line.close();
      process.stdout.write(`${path}: ${events.length} events\n`);
    }
  } finally {
    await world.close();
    await kamailio.stop();
  }
}

await main();
