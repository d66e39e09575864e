// The connector's provider side: what each event of the line provider becomes — a call event or a line
// event in the buffer, a re-read of the lines, or a recovery of the provider (service.ts subscribes it).
import type { Logger } from 'pino';
import type { OutgoingEvent } from './event-buffer.ts';
import type { ProviderHealth } from './health.ts';
import type { LineRegistry } from './line-registry.ts';
import type { ProviderEvent } from './line-provider.ts';
import { rawWhereChanged, toCallState } from './wire.ts';

/** What the handler works on: the service's parts. */
export interface ProviderSide {
  readonly lines: LineRegistry;
  /** Reads the provider's lines again and emits what changed. */
  syncLines(): void;
  emit(event: OutgoingEvent): void;
  readonly log: Logger;
  /** The event's timestamp (ISO), from the service's clock. */
  timestamp(): string;
  readonly health: ProviderHealth;
}

/** One event of the line provider, as the connector reacts to it. */
export function onProviderEvent(event: ProviderEvent, side: ProviderSide): void {
  switch (event.type) {
    case 'call': {
      if (!side.lines.has(event.line)) side.syncLines();
      if (!side.lines.has(event.line)) return;
      const { type: _t, at: _a, ...call } = event;
      side.log.debug({ line: call.line, callId: call.callId, state: call.state }, 'call event');
      const wire = toCallState(call, side.timestamp(), false);
      const raw = rawWhereChanged(call, wire);
      // pino writes JSON: control characters arrive escaped, so the raw value is safe in the log.
      if (raw !== undefined) side.log.info({ line: wire.line, callId: wire.callId, raw }, 'call event text made fit for the wire (raw values kept here)');
      side.emit(wire);
      return;
    }
    case 'lineAdded':
    case 'lineRemoved':
      side.log.info({ line: event.type === 'lineAdded' ? event.line.name : event.line }, event.type === 'lineAdded' ? 'line added' : 'line removed');
      side.syncLines();
      return;
    case 'lineOutOfService':
    case 'lineInService': {
      const inService = event.type === 'lineInService';
      side.log[inService ? 'info' : 'warn']({ line: event.line }, inService ? 'line back in service' : 'line out of service');
      for (const e of side.lines.setInService(event.line, inService)) side.emit(e);
      return;
    }
    case 'reinitRequired':
      side.log.warn({ reason: event.reason }, 'the provider asks for re-initialisation');
      side.health.recover(event.reason, true);
      return;
    case 'providerDown':
      side.log.error({ reason: event.reason }, 'the phone system went away');
      for (const e of side.lines.allOutOfService()) side.emit(e);
      side.health.recover(`phone system down: ${event.reason}`, false);
      return;
    case 'providerUp':
      side.log.info('the phone system is back');
      side.health.cancel();
      side.syncLines();
      return;
  }
}
