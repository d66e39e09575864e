// A ConnectorSide for the user side's tests before (and beside) the real
// connector gateway: tests push call and line events and script command answers.
import type { CallStateMessage, DiagnoseConnector, DiagnoseSocket } from '../../../../src/protocol/index.ts';
import type { MonoMs } from '../../../../src/manager/clock.ts';
import type { CommandOutcome, ConnectorCommand, ConnectorSide, LineEvent, ReportedLine, RoutedCallEvent, Unsubscribe } from '../../../../src/manager/contracts.ts';

export class FakeConnectorSide implements ConnectorSide {
  private readonly callListeners = new Set<(e: RoutedCallEvent) => void>();
  private readonly lineListeners = new Set<(e: LineEvent) => void>();
  readonly reported = new Map<string, ReportedLine>();
  readonly commands: ConnectorCommand[] = [];
  answer: (command: ConnectorCommand) => Promise<CommandOutcome> = async () => ({ ok: true, callId: `out-${this.commands.length}` });
  private seq = 0;

  onCallEvent(listener: (e: RoutedCallEvent) => void): Unsubscribe {
    this.callListeners.add(listener);
    return () => this.callListeners.delete(listener);
  }

  onLineEvent(listener: (e: LineEvent) => void): Unsubscribe {
    this.lineListeners.add(listener);
    return () => this.lineListeners.delete(listener);
  }

  lines(): ReportedLine[] {
    return [...this.reported.values()];
  }

  command(command: ConnectorCommand): Promise<CommandOutcome> {
    this.commands.push(command);
    return this.answer(command);
  }

  diagnose(): { connectors: DiagnoseConnector[]; sockets: DiagnoseSocket[] } {
    const hosts = [...new Set(this.lines().map((l) => l.connectorHost))];
    return {
      connectors: hosts.map((host) => ({ host, peer: '127.0.0.1:50000', connectorVersion: '1.0.0', lines: this.lines().filter((l) => l.connectorHost === host).map((l) => ({ line: l.line, inService: l.inService, users: 1 })) })),
      sockets: hosts.map(() => ({ kind: 'connector' as const, peer: '127.0.0.1:50000', created: '2024-05-01T12:00:00.000Z', lastReceive: '2024-05-01T12:00:00.000Z' })),
    };
  }

  report(line: string, address = line.split(':')[1] ?? '', online = true, rejectAllowed?: boolean): void {
    const [host, local] = line.split(':') as [string, string];
    const known = this.reported.has(line);
    const reported = { line, connectorHost: host, localName: local, address, inService: true, connectorOnline: online, ...(rejectAllowed === undefined ? {} : { rejectAllowed }) };
    this.reported.set(line, reported);
    for (const l of this.lineListeners) l({ kind: known ? 'changed' : 'added', line: reported });
  }

  /** Emits one call-state event on a full line name. */
  call(line: string, callId: string, state: CallStateMessage['state'], extra: Partial<CallStateMessage> = {}, at = Date.now()): RoutedCallEvent {
    const host = line.split(':')[0] as string;
    this.seq += 1;
    const event: RoutedCallEvent = {
      callKey: `${host}/${callId}`, line, connectorHost: host, receivedAt: performance.now() as MonoMs,
      event: { channel: 'connector', command: 'callState', seq: this.seq, timestamp: new Date(at).toISOString(), line: line.split(':')[1] as string, callId, state, origin: 'inbound', snapshot: false, ...extra },
    };
    for (const l of this.callListeners) l(event);
    return event;
  }
}
