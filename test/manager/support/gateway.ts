// Starts a real ConnectorGateway on 127.0.0.1, port 0, with small limits so
// the tests reach them quickly, and logs captured in memory.
import { pino } from 'pino';
import type { LineEvent, RoutedCallEvent } from '../../../src/manager/contracts.ts';
import { ConnectorGateway, type GatewayOptions, type GatewaySettings } from '../../../src/manager/gateway/gateway.ts';
import { MemorySeqStore, type SeqStore } from '../../../src/manager/gateway/seq-store.ts';
import { KEY } from './raw-connector.ts';

export class LogCapture {
  readonly lines: string[] = [];
  write(chunk: string): void {
    this.lines.push(...chunk.split('\n').filter((l) => l.length > 0));
  }
  get text(): string {
    return this.lines.join('\n');
  }
  messages(): string[] {
    return this.lines.map((l) => String((JSON.parse(l) as { msg?: unknown }).msg));
  }
}

export const TEST_SETTINGS: GatewaySettings = {
  connectorKeys: [KEY, 'a-second-connector-key-0000'],
  keepAliveSeconds: 20,
  commandTimeoutMs: 2_000,
  maxConnections: 16,
  maxUnregistered: 8,
  maxUnregisteredPerPeer: 8,
  registrationTimeoutMs: 2_000,
  frameTimeoutMs: 2_000,
  maxBadFrames: 3,
  maxSendBuffer: 64 * 1024,
  maxFrameLength: 65_535,
};

export interface TestGateway {
  gateway: ConnectorGateway;
  port: number;
  logs: LogCapture;
  calls: RoutedCallEvent[];
  lineEvents: LineEvent[];
  settings: GatewaySettings;
  seqs: SeqStore;
  stop(): Promise<void>;
}

export async function startGateway(settings: Partial<GatewaySettings> = {}, options: Partial<GatewayOptions> = {}): Promise<TestGateway> {
  const logs = new LogCapture();
  const current = { ...TEST_SETTINGS, ...settings };
  const seqs = options.seqs ?? new MemorySeqStore();
  const gateway = new ConnectorGateway({
    bindAddress: '127.0.0.1',
    port: 0,
    settings: () => current,
    seqs,
    logger: pino({ level: 'debug' }, logs),
    ...options,
  });
  const calls: RoutedCallEvent[] = [];
  const lineEvents: LineEvent[] = [];
  gateway.onCallEvent((e) => calls.push(e));
  gateway.onLineEvent((e) => lineEvents.push(e));
  const port = await gateway.start();
  return { gateway, port, logs, calls, lineEvents, settings: current, seqs, stop: () => gateway.stop() };
}
