// Translation between the provider's view (LineProvider events) and the
// connector channel of the protocol (spec/protocol.md). Pure functions.
import type { CallEndReason as WireEndReason, CallStateMessage, ConnectorDownMessage, LineInfo as WireLine, TapiMessage } from '../protocol/index.ts';
import type { CallEndReason, CallInfo, LineInfo, Party } from './line-provider.ts';
import type { OutgoingEvent } from './event-buffer.ts';

const DOWN_COMMANDS = new Set(['registered', 'ack', 'keepalive', 'makeCall', 'answer', 'drop', 'reject', 'reinitialize', 'error']);

export function isDownMessage(message: TapiMessage): message is ConnectorDownMessage {
  return message.channel === 'connector' && DOWN_COMMANDS.has(message.command);
}

/**
 * The manual: audio lines are required; lines whose media types also include
 * video are used only with IncludeMediaTypeVideo = 1.
 */
export function isReportedLine(line: LineInfo, includeVideo: boolean): boolean {
  if (!line.mediaModes.includes('audio')) return false;
  return includeVideo || !line.mediaModes.includes('video');
}

// Wire limits of the catalogue (spec/protocol.md): provider data is outside
// input, so it is cut to fit rather than making an event unsendable.
const LIMITS = { line: 128, address: 128, id: 128, number: 64, name: 256 } as const;

const cut = (value: string, max: number): string => (value.length > max ? value.slice(0, max) : value);

/** `rejectAllowed`: the live RejectViaDisconnect (whether a ringing call on the line can be rejected). */
export function toWireLine(line: LineInfo, rejectAllowed?: boolean): WireLine {
  return {
    name: cut(line.name, LIMITS.line),
    address: cut(line.address, LIMITS.address),
    permanentId: cut(line.permanentId, LIMITS.address),
    mediaModes: [...line.mediaModes],
    inService: line.inService,
    ...(rejectAllowed === undefined ? {} : { rejectAllowed }),
  };
}

/** Provider end reasons the protocol has no word for become `other`; a normal hang-up carries none. */
export function toWireReason(reason: CallEndReason | undefined): WireEndReason | undefined {
  switch (reason) {
    case undefined:
    case 'normal':
      return undefined;
    case 'outOfService':
    case 'providerRestart':
      return 'other';
    default:
      return reason;
  }
}

function party(prefix: 'caller' | 'called' | 'connected' | 'redirecting', p: Party | undefined): Partial<CallStateMessage> {
  if (p === undefined) return {};
  const out: Record<string, string> = { [`${prefix}Number`]: cut(p.number, LIMITS.number) };
  if (p.name !== undefined) out[`${prefix}Name`] = cut(p.name, LIMITS.name);
  return out as Partial<CallStateMessage>;
}

export function toCallState(call: CallInfo, timestamp: string, snapshot: boolean): Omit<CallStateMessage, 'seq'> {
  const reason = toWireReason(call.reason);
  return {
    channel: 'connector',
    command: 'callState',
    timestamp,
    line: cut(call.line, LIMITS.line),
    callId: cut(call.callId, LIMITS.id),
    ...(call.relatedCallId !== undefined ? { relatedCallId: cut(call.relatedCallId, LIMITS.id) } : {}),
    state: call.state,
    origin: call.origin,
    ...party('caller', call.caller),
    ...party('called', call.called),
    ...party('connected', call.connected),
    ...party('redirecting', call.redirecting),
    ...(reason !== undefined ? { reason } : {}),
    snapshot,
  };
}

export function lineAdded(line: LineInfo, rejectAllowed?: boolean): OutgoingEvent {
  return { channel: 'connector', command: 'lineAdded', line: toWireLine(line, rejectAllowed) };
}

export function lineRemoved(name: string): OutgoingEvent {
  return { channel: 'connector', command: 'lineRemoved', line: cut(name, LIMITS.line) };
}

export function lineState(name: string, inService: boolean): OutgoingEvent {
  return { channel: 'connector', command: 'lineState', line: cut(name, LIMITS.line), inService };
}
