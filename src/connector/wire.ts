// Translation between the provider's view (LineProvider events) and the
// connector channel of the protocol (spec/protocol.md). Pure functions.
import { CALL_COMMANDS } from '../protocol/index.ts';
import type { CallEndReason as WireEndReason, CallStateMessage, ConnectorDownMessage, LineInfo as WireLine, TapiMessage } from '../protocol/index.ts';
import type { CallEndReason, CallInfo, LineInfo, Party } from './line-provider.ts';
import type { OutgoingEvent } from './event-buffer.ts';
import { edgeId, edgeName, edgeNumber } from '../protocol/edge-text.ts';

const DOWN_COMMANDS = new Set<string>(['registered', 'ack', 'keepalive', 'makeCall', ...CALL_COMMANDS, 'reinitialize', 'error']);

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
// input, so it is made fit (src/protocol/edge-text.ts) and cut rather than making an event
// unsendable.
const LIMITS = { line: 128, address: 128, id: 128, number: 64, name: 256 } as const;

/** A provider's call id as the wire carries it: in events and in the result of the command that placed the call alike. */
export function wireCallId(callId: string): string {
  return edgeId(callId, LIMITS.id);
}

/** `rejectAllowed`: the live RejectViaDisconnect (whether a ringing call on the line can be rejected). */
export function toWireLine(line: LineInfo, rejectAllowed?: boolean): WireLine {
  return {
    name: edgeId(line.name, LIMITS.line),
    address: edgeNumber(line.address, LIMITS.address),
    permanentId: edgeName(line.permanentId, LIMITS.address),
    mediaModes: [...line.mediaModes],
    inService: line.inService,
    ...(rejectAllowed === undefined ? {} : { rejectAllowed }),
    // Always sent, also empty: a manager tells "offers none" from an older connector that did not say.
    controls: [...(line.controls ?? [])],
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
  const out: Record<string, string> = { [`${prefix}Number`]: edgeNumber(p.number, LIMITS.number) };
  if (p.name !== undefined) out[`${prefix}Name`] = edgeName(p.name, LIMITS.name);
  return out as Partial<CallStateMessage>;
}

export function toCallState(call: CallInfo, timestamp: string, snapshot: boolean): Omit<CallStateMessage, 'seq'> {
  const reason = toWireReason(call.reason);
  return {
    channel: 'connector',
    command: 'callState',
    timestamp,
    line: edgeId(call.line, LIMITS.line),
    callId: wireCallId(call.callId),
    ...(call.relatedCallId !== undefined ? { relatedCallId: edgeId(call.relatedCallId, LIMITS.id) } : {}),
    state: call.state,
    origin: call.origin,
    ...party('caller', call.caller),
    ...party('called', call.called),
    ...party('connected', call.connected),
    ...party('redirecting', call.redirecting),
    ...(call.consultationOf !== undefined ? { consultationOf: edgeId(call.consultationOf, LIMITS.id) } : {}),
    ...(reason !== undefined ? { reason } : {}),
    snapshot,
  };
}

const PARTIES = ['caller', 'called', 'connected', 'redirecting'] as const;

/** The provider's values of the text fields `toCallState` had to change, or undefined when none changed. */
export function rawWhereChanged(call: CallInfo, wire: Omit<CallStateMessage, 'seq'>): Record<string, string> | undefined {
  const raw: Record<string, string> = {};
  if (wire.line !== call.line) raw.line = call.line;
  if (wire.callId !== call.callId) raw.callId = call.callId;
  if (call.relatedCallId !== undefined && wire.relatedCallId !== call.relatedCallId) raw.relatedCallId = call.relatedCallId;
  for (const p of PARTIES) {
    const party = call[p];
    if (party === undefined) continue;
    if (wire[`${p}Number`] !== party.number) raw[`${p}Number`] = party.number;
    if (party.name !== undefined && wire[`${p}Name`] !== party.name) raw[`${p}Name`] = party.name;
  }
  return Object.keys(raw).length === 0 ? undefined : raw;
}

export function lineAdded(line: LineInfo, rejectAllowed?: boolean): OutgoingEvent {
  return { channel: 'connector', command: 'lineAdded', line: toWireLine(line, rejectAllowed) };
}

export function lineRemoved(name: string): OutgoingEvent {
  return { channel: 'connector', command: 'lineRemoved', line: edgeId(name, LIMITS.line) };
}

export function lineState(name: string, inService: boolean): OutgoingEvent {
  return { channel: 'connector', command: 'lineState', line: edgeId(name, LIMITS.line), inService };
}
