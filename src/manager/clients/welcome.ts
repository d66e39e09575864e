// The `welcome` a proven user receives: who they are, whether they may use
// the admin functions, and each of their lines with its effective dialing and
// popup settings. Sent again when the user's lines change.
import type { LineConfigRecord } from '../../dataverse/repositories/index.ts';
import { carryableText, PROTOCOL_VERSION, type CallControl, type WelcomeLine, type WelcomeMessage } from '../../protocol/index.ts';
import { wireDialing, type LineSettings } from '../entitlements/settings.ts';
import type { EntitlementTable } from '../entitlements/table.ts';
import type { ProvenUser } from './connection.ts';

/** The catalogue carries at most this many lines in one welcome. */
export const MAX_WELCOME_LINES = 1024;

const NO_DIALING = { internationalPrefix: '', nationalPrefix: '', countryCode: '', areaCode: '', baseNumber: '', outsideLinePrefix: '', incomingDirectionCode: '', maxInternalLength: 0, dialLocalWithoutAreaCode: true };

/** What the connector said a line can do (reject, call controls); undefined fields: it did not say (or the line is not reported). */
export type CapabilitiesOf = (line: string) => { rejectAllowed?: boolean; controls?: readonly CallControl[]; inService?: boolean; connectorOnline?: boolean } | undefined;

/** In service for the agent: the PBX says so and the line's connector is connected; undefined when no connector reports the line. */
function usable(c: ReturnType<CapabilitiesOf>): boolean | undefined {
  return c?.inService === undefined ? undefined : c.inService && c.connectorOnline !== false;
}

export function welcomeLines(user: string, table: EntitlementTable, settingsOf: (r: LineConfigRecord) => LineSettings, capabilitiesOf: CapabilitiesOf = () => undefined): WelcomeLine[] {
  return table.linesOf(user).slice(0, MAX_WELCOME_LINES).map((g) => {
    const s = settingsOf(g.record);
    const c = capabilitiesOf(g.line);
    const { rejectAllowed, controls } = c ?? {};
    const inService = usable(c);
    return {
      line: g.line,
      displayName: carryableText(g.record.lineDisplayName ?? g.record.name ?? g.line, 256),
      // Invalid settings still let the user see calls; dialing on that line is refused with the reason.
      dialing: s.dialing === undefined ? NO_DIALING : wireDialing(s.dialing),
      popup: s.popup,
      ...(rejectAllowed === undefined ? {} : { rejectAllowed }),
      ...(controls === undefined ? {} : { controls: [...controls] }),
      ...(inService === undefined ? {} : { inService }),
    };
  });
}

export function welcomeMessage(user: ProvenUser, lines: WelcomeLine[], heartbeatSeconds: number): WelcomeMessage {
  return {
    channel: 'intincall',
    command: 'welcome',
    userId: user.id,
    userName: carryableText(user.name, 256),
    admin: user.admin,
    protocolVersion: PROTOCOL_VERSION,
    heartbeatInterval: heartbeatSeconds,
    lines,
  };
}

/** A fingerprint of a user's lines, the records behind them, what works there (reject, call controls) and whether they are in service: a change means a new welcome. */
export function linesFingerprint(user: string, table: EntitlementTable, capabilitiesOf: CapabilitiesOf = () => undefined): string {
  return table
    .linesOf(user)
    .map((g) => {
      const c = capabilitiesOf(g.line);
      return `${g.line}\u0000${g.record.id}\u0000${String(c?.rejectAllowed)}\u0000${c?.controls?.join(' ') ?? '-'}\u0000${String(usable(c))}`;
    })
    .join('\u0001');
}
