// The phone call activity the client opens for a call (the line's "open
// phone call" options): number, direction, subject, the regarding record and
// the other party, and the configured time field set to the moment it opens.
// Form parameters are strings, as Xrm.Navigation.openForm takes them.
import type { CrmMatch } from '../../protocol/index.ts';
import type { CallView } from '../calls.ts';
import type { Strings } from '../i18n.ts';

const PARTY_ENTITIES = new Set(['account', 'contact', 'lead', 'systemuser']);

export function phoneCallParameters(call: CallView, match: CrmMatch | undefined, s: Strings, openedAt: string): Record<string, string> {
  const outgoing = !call.incoming;
  const who = match?.name ?? call.number;
  const p: Record<string, string> = {
    subject: `${outgoing ? s.outgoingCall : s.incomingCall}: ${who}`.slice(0, 200),
    phonenumber: (call.e164 ?? call.number).slice(0, 200),
    directioncode: outgoing ? 'true' : 'false',
    actualstart: openedAt,
  };
  if (match !== undefined) {
    p.regardingobjectid = match.id;
    p.regardingobjectidname = match.name;
    p.regardingobjectidtype = match.entity;
    if (PARTY_ENTITIES.has(match.entity)) {
      // Party lists take id, name and type of each party.
      const party = outgoing ? 'to' : 'from';
      p[party] = match.id;
      p[`${party}name`] = match.name;
      p[`${party}type`] = match.entity;
    }
  }
  return p;
}

/** A new contact prefilled with the unknown caller's number. */
export function contactParameters(call: CallView): Record<string, string> {
  return { telephone1: (call.e164 ?? call.number).slice(0, 50) };
}

/** Entity sets of the records a phone call can regard or have as party (client side: no schema import). */
const PARTY_SETS: Readonly<Record<string, string>> = { account: 'accounts', contact: 'contacts', lead: 'leads', systemuser: 'systemusers' };
const FROM = 1;
const TO = 2;

/**
 * The phone call activity as a Web API body, for creating it under the
 * manager's id as the agent: subject, number, direction, start, the regarding
 * record and the parties (the other side and the agent).
 */
export function phoneCallRecord(call: CallView, match: CrmMatch | undefined, s: Strings, openedAt: string, agentId: string): Record<string, unknown> {
  const outgoing = !call.incoming;
  const who = match?.name ?? call.number;
  const body: Record<string, unknown> = {
    subject: `${outgoing ? s.outgoingCall : s.incomingCall}: ${who}`.slice(0, 200),
    phonenumber: (call.e164 ?? call.number).slice(0, 200),
    directioncode: outgoing,
    actualstart: openedAt,
  };
  const agent = { 'partyid_systemuser@odata.bind': `/systemusers(${agentId})` };
  const parties: Record<string, unknown>[] = [{ ...agent, participationtypemask: outgoing ? FROM : TO }];
  const set = match === undefined ? undefined : PARTY_SETS[match.entity];
  if (match !== undefined && set !== undefined) {
    body[`regardingobjectid_${match.entity}_phonecall@odata.bind`] = `/${set}(${match.id})`;
    parties.push({ [`partyid_${match.entity}@odata.bind`]: `/${set}(${match.id})`, participationtypemask: outgoing ? TO : FROM });
  }
  body.phonecall_activity_parties = parties;
  return body;
}
