// The tapi provider's line messages: LINE_LINEDEVSTATE (caps changed, REINIT,
// the phone system lost or back, a line out of or in service),
// LINE_ADDRESSSTATE (caps changed) and LINE_CLOSE.
import type { CallControl, ProviderEvent } from '../../line-provider.ts';
import type { TapiMessage, TapiSession } from './binding.ts';
import { readControls } from './lines.ts';
import type { LineEntry, TapiTrace } from './lines.ts';
import { LINEDEVSTATE } from './tapi-constants.ts';

export interface LineMessageHost {
  devices(): Iterable<LineEntry>;
  line(device: number): LineEntry | undefined;
  session(): TapiSession | undefined;
  /** Whether the phone system is away (LINEDEVSTATE_DISCONNECTED); sets it when given. */
  down(set?: boolean): boolean;
  /** Ends the calls of `line`, which TAPI will not report any more (outOfService). */
  endCalls(line: string): void;
  at(): number;
  emit(event: ProviderEvent): void;
  trace(record: TapiTrace): void;
}

/** The line's address caps changed (LINEDEVSTATE_CAPSCHANGE, LINEADDRESSSTATE_CAPSCHANGE): its controls are read again. */
export function onCapsChange(host: LineMessageHost, line: LineEntry | undefined): void {
  const session = host.session();
  if (line === undefined || line.closed || session === undefined) return;
  let controls: CallControl[];
  try {
    controls = readControls(session, line.device, line.api);
  } catch (err) {
    host.trace({ what: 'address caps not read', device: line.device, error: err instanceof Error ? err.message : String(err) });
    return;
  }
  if ((line.info.controls ?? []).join() === controls.join()) return;
  line.info = { ...line.info, controls };
  host.trace({ what: 'line caps changed', line: line.info.name, controls });
  // The line is announced again with its new controls; the connector tells the manager, which re-welcomes its users.
  host.emit({ type: 'lineAdded', at: host.at(), line: line.info });
}

/** LINE_LINEDEVSTATE: caps changed, re-initialisation asked for, the phone system lost or back, a line out of or in service. */
export function onDevState(host: LineMessageHost, message: TapiMessage): void {
  const D = LINEDEVSTATE;
  const bits = message.param1;
  const line = host.line(message.instance);
  if ((bits & D.LINEDEVSTATE_CAPSCHANGE) !== 0) onCapsChange(host, line);
  if ((bits & D.LINEDEVSTATE_REINIT) !== 0) {
    host.emit({ type: 'reinitRequired', at: host.at(), reason: 'the TAPI driver asks for re-initialisation (LINEDEVSTATE_REINIT)' });
    return;
  }
  if ((bits & D.LINEDEVSTATE_DISCONNECTED) !== 0 && !host.down()) {
    host.down(true);
    host.emit({ type: 'providerDown', at: host.at(), reason: 'the TAPI driver lost the phone system (LINEDEVSTATE_DISCONNECTED)' });
  }
  if ((bits & D.LINEDEVSTATE_CONNECTED) !== 0 && host.down()) {
    host.down(false);
    host.emit({ type: 'providerUp', at: host.at() });
  }
  if (line === undefined) return;
  if ((bits & D.LINEDEVSTATE_OUTOFSERVICE) !== 0 && line.info.inService) {
    line.info = { ...line.info, inService: false };
    host.emit({ type: 'lineOutOfService', at: host.at(), line: line.info.name });
  }
  if ((bits & D.LINEDEVSTATE_INSERVICE) !== 0 && !line.info.inService) {
    line.info = { ...line.info, inService: true };
    host.emit({ type: 'lineInService', at: host.at(), line: line.info.name });
  }
}

/** LINE_CLOSE: the driver closed a line on its own; when it closed them all, the application must re-initialise. */
export function onClose(host: LineMessageHost, hLine: number): void {
  const line = [...host.devices()].find((l) => l.hLine === hLine);
  if (line === undefined || line.closed) return;
  line.closed = true;
  host.endCalls(line.info.name);
  if (line.info.inService) {
    line.info = { ...line.info, inService: false };
    host.emit({ type: 'lineOutOfService', at: host.at(), line: line.info.name });
  }
  if ([...host.devices()].every((l) => l.closed)) {
    host.emit({ type: 'reinitRequired', at: host.at(), reason: 'the TAPI driver closed every line (LINE_CLOSE)' });
  }
}
