// Prints the message catalogue section of spec/protocol.md (field tables from
// src/protocol/catalogue.ts, examples from examples.ts) so the prose and the
// code cannot drift. Run: npx tsx test/protocol/spec-catalogue.ts
// test/protocol/spec.test.ts checks spec/protocol.md holds this output.
import { fieldsOf } from '../../src/protocol/catalogue.ts';
import { encodeMessage } from '../../src/protocol/encode.ts';
import type { FieldSpec, FieldType } from '../../src/protocol/fields.ts';
import { CHANNELS, type Channel } from '../../src/protocol/messages.ts';
import { commandsOf } from '../../src/protocol/index.ts';
import { EXAMPLES } from './examples.ts';

/** Direction and provenance of each message; `M` manager, `C` connector, `B` browser client, `A` admin client. */
export const ABOUT: Record<string, { dir: string; source: 'evidence' | 'designed' | 'evidence (socket kind), fields designed'; note: string }> = {
  'connector/register': { dir: 'C → M', source: 'designed', note: 'First message on a new connection. `connectorKey` is a shared secret (never logged; `redactMessage`). `lastAckedSeq` is the highest seq the connector saw acknowledged; absent on a first start.' },
  'connector/registered': { dir: 'M → C', source: 'designed', note: 'The connector resends every buffered event with seq > `lastAckedSeq`, then continues. `keepAliveInterval` in seconds (the manual\'s `ConnectionKeepAliveIntervall`, default 20; the manager allows 15 s grace).' },
  'connector/lines': { dir: 'C → M', source: 'designed', note: 'The full line list, sent after `registered` and after every re-initialisation. Names are connector-local; the manager names a line `<host>:<name>` as the manual does. `rejectAllowed` tells whether the connector can reject a ringing call on the line (the manual\'s `RejectViaDisconnect`); the connector sends `lines` again when that setting changes while it runs. Absent (older connectors): unknown. `controls` (1.1) lists the call controls the line offers (`hold`, `transfer`, `consult`, `conference`; empty: none; absent: an older connector that did not say).' },
  'connector/lineAdded': { dir: 'C → M', source: 'designed', note: 'Event (carries `seq`).' },
  'connector/lineRemoved': { dir: 'C → M', source: 'designed', note: 'Event (carries `seq`).' },
  'connector/lineState': { dir: 'C → M', source: 'designed', note: 'Event: line in or out of service.' },
  'connector/callState': { dir: 'C → M', source: 'designed', note: 'Event: a TAPI call state change. A `callId` names one call for the connector\'s `ConnectorHost`, also across connector restarts: the manager keys a call by host and id and derives the agent\'s phone call activity id from that key, so an id used again would land a new call on an earlier call\'s records (issue 11; the bundled providers put their start in every id). `snapshot` is true for the states of still-active calls re-sent after a reconnect (the manager must not treat them as new rings). `reason` values a receiver does not know decode as `other`. `consultationOf` (1.1) marks a consultation call and names the held call it was set up from; unlike `relatedCallId` it is another call, never folded into it.' },
  'connector/eventsLost': { dir: 'C → M', source: 'designed', note: 'Event: `count` events were dropped because the buffer was full while the manager was away; first and last drop time.' },
  'connector/synced': { dir: 'C → M', source: 'designed', note: 'Once per registration, after `lines`, the snapshot and the replay of every buffered event: the manager now holds the connector\'s complete state. `snapshotSeq` is the seq the snapshot was taken at (events up to it are history the snapshot reflects); `activeCalls` counts the snapshot `callState`s sent. Not an event: no seq, never acknowledged. The manager ends every call of this host it still tracks that was neither in the snapshot nor in an event after `snapshotSeq` (§7.5). A manager without this command answers `error` `unknown-command`, which the connector logs and ignores.' },
  'connector/ack': { dir: 'M → C', source: 'designed', note: 'Cumulative: every event with seq ≤ `seq` is durable at the manager and may leave the buffer.' },
  'connector/keepalive': { dir: 'C ⇄ M', source: 'designed', note: 'Sent when nothing else was sent for the keep-alive interval. M counts any byte received as life, also of a frame still arriving (bounded by `FrameTimeout`), and closes a registered connection that sent nothing for the interval + 15 s.' },
  'connector/makeCall': { dir: 'M → C', source: 'designed', note: 'Command: dial `dialString` (already converted by the dialing rules) on `line`.' },
  'connector/answer': { dir: 'M → C', source: 'designed', note: 'Command.' },
  'connector/drop': { dir: 'M → C', source: 'designed', note: 'Command.' },
  'connector/reject': { dir: 'M → C', source: 'designed', note: 'Command (the manual\'s `RejectViaDisconnect` decides how the connector rejects).' },
  'connector/hold': { dir: 'M → C', source: 'designed', note: 'Command (1.1): put a connected call on hold. Needs `hold` in the line\'s `controls`; otherwise `result` error `not-supported`.' },
  'connector/unhold': { dir: 'M → C', source: 'designed', note: 'Command (1.1): take a held call back. Needs `hold`.' },
  'connector/transfer': { dir: 'M → C', source: 'designed', note: 'Command (1.1): blind transfer to `dialString` (converted by the dialing rules, as for `makeCall`); the line\'s call ends with reason `transferred`. Needs `transfer`.' },
  'connector/consult': { dir: 'M → C', source: 'designed', note: 'Command (1.1): hold the call and dial `dialString` from the same line; the consultation\'s `callState` events carry `consultationOf` naming the held call. Needs `consult`.' },
  'connector/completeTransfer': { dir: 'M → C', source: 'designed', note: 'Command (1.1), on the held call: join it with its answered consultation; both leave the line with reason `transferred`. Needs `consult`.' },
  'connector/cancelConsult': { dir: 'M → C', source: 'designed', note: 'Command (1.1), on the held call: drop its consultation and take it back. Needs `consult`.' },
  'connector/conference': { dir: 'M → C', source: 'designed', note: 'Command (1.1), on the held call: its answered consultation joins it (the consultation ends with reason `conferenced`, the held call is `connected` with three parties). Needs `conference`.' },
  'connector/reinitialize': { dir: 'M → C', source: 'designed', note: 'Command: re-initialise all lines (as the manual\'s `NewInitTime` does daily); the connector sends `lines` again.' },
  'connector/result': { dir: 'C → M', source: 'designed', note: 'Answer to a command; `error` present exactly when `ok` is false. `callId` (1.2) on a successful `makeCall` or `consult` names the call it placed (the id its `callState` events carry, which may arrive before or after the result): the manager learns from it which user dialled the call, so the call\'s phone call activity is that user\'s on a line several users share. Absent from older connectors and on every other result; a manager then does not know who dialled (§7.3).' },
  'connector/error': { dir: 'C ⇄ M', source: 'designed', note: 'A message could not be handled; `requestId` when it answers a request.' },
  'intincall/connect': { dir: 'B → M', source: 'evidence', note: 'The manual\'s handshake: v5 sends `registration` and `incallVersion`; v8 adds `incallClient`, `userid` and `organisation`. `registration` is `auto` or `manuell` in any case; `userid` braced or bare, any case, decoded as the bare lower-case GUID. The claimed user id is not trusted: the manager answers with `challenge`.' },
  'intincall/challenge': { dir: 'M → B', source: 'designed', note: 'Identity proof, step 1: the client must create a session record in Dataverse, as the signed-in user, holding `nonce`, before `expiresAt`.' },
  'intincall/prove': { dir: 'B → M', source: 'designed', note: 'Identity proof, step 2: the manager reads the record back and trusts its server-set `createdby`.' },
  'intincall/welcome': { dir: 'M → B', source: 'designed', note: 'The proven user, the lines the user may see (own, assigned, shared to the user or a team) with their effective dialing and popup settings (evidence for the setting names: the manual\'s OutCallLog trace). `rejectAllowed` per line: the connector can reject a ringing call there (absent: unknown); a change of it sends `welcome` again. `controls` (1.1) per line: the call controls the client may offer there (absent: none). `inService` (1.1) per line: the line is in service at the PBX and its connector is connected (absent: unknown); a change of it sends `welcome` again.' },
  'intincall/heartbeat': { dir: 'B ⇄ M', source: 'designed', note: 'Sent when nothing else was sent for `heartbeatInterval` seconds.' },
  'intincall/callNotification': { dir: 'M → B', source: 'designed', note: 'A call on one of the user\'s lines. `number` exactly as the PBX sent it, `e164` or `extension` after normalisation (never both), `matches` best first. `answeredBy`/`endedReason` tell a colleague answered a shared call; `replayed` marks notifications delivered after a reconnect. `phoneCallId` is the id of the phone call activity for this user and call: the client creates the activity under it (as the user) when it opens the phone call, and the manager writes the same id at the call\'s end (create if absent, else only the time fields). `consultationOf` (1.1): this call is a consultation the agent dialled from the held call with that key.' },
  'intincall/dial': { dir: 'B → M', source: 'designed', note: 'Click-to-dial. The manager checks the user may dial on `line`, converts `number` with the line\'s dialing rules, and sends `makeCall`.' },
  'intincall/dialResult': { dir: 'M → B', source: 'designed', note: '`dialString` is what the PBX was asked to dial (the manual\'s "converted number: 40 is dialled").' },
  'intincall/callControl': { dir: 'B → M', source: 'designed', note: 'Answer, drop or reject a call shown in a notification; 1.1 adds `hold`, `unhold`, `transfer` and `consult` (with `target`, converted by the line\'s dialing rules like `dial`), and on a held call with a consultation `completeTransfer`, `cancelConsult` and `conference` (§7.7).' },
  'intincall/callControlResult': { dir: 'M → B', source: 'designed', note: '' },
  'intincall/error': { dir: 'B ⇄ M', source: 'designed', note: '' },
  'outcall/connect': { dir: 'B → M', source: 'evidence', note: 'The manual\'s click-to-dial socket kind. Its `connect` is understood (same fields as `intincall`) so old clients get a precise answer; the manager then continues as for `intincall`.' },
  'outcall/error': { dir: 'M → B', source: 'designed', note: '' },
  'diagnose/diagnose': { dir: 'A → M', source: 'evidence (socket kind), fields designed', note: 'The "Diagnose TAPI Manager" button. Only for admins; the manager answers `challenge` first when the socket is not yet proven.' },
  'diagnose/challenge': { dir: 'M → A', source: 'designed', note: 'As on `intincall`.' },
  'diagnose/prove': { dir: 'A → M', source: 'designed', note: 'As on `intincall`; the proven user must hold TapiInterface Admin or System Administrator.' },
  'diagnose/diagnoseReport': { dir: 'M → A', source: 'evidence (socket kind), fields designed', note: 'What the manual\'s diagnose page shows: version, edition, lines reported by connectors beside lines in the entity, every socket with kind, peer, created and last receive; ours adds `outbox`: writes waiting for the CRM, the oldest of them, and every dead letter (at most 1,000 listed, `deadLetterCount` counts all).' },
  'diagnose/refreshPhoneNumbers': { dir: 'A → M', source: 'evidence (socket kind), fields designed', note: 'The "Refresh phone numbers" button.' },
  'diagnose/refreshResult': { dir: 'M → A', source: 'designed', note: '`numbers`: phone numbers in the directory after the refresh.' },
  'diagnose/outboxRetry': { dir: 'A → M', source: 'designed', note: 'Put dead letters of the outbox back (`crm-tapi outbox retry`): `id` one, `all` every one; exactly one of them. Audited in the CRM\'s event log.' },
  'diagnose/outboxDrop': { dir: 'A → M', source: 'designed', note: 'Forget one dead letter for good (`crm-tapi outbox drop`). Audited in the CRM\'s event log.' },
  'diagnose/outboxResult': { dir: 'M → A', source: 'designed', note: '`count`: dead letters retried or dropped; `error/code` `not-found` when the id is not a dead letter.' },
  'diagnose/error': { dir: 'M → A', source: 'designed', note: '' },
};

function describeType(t: FieldType): string {
  switch (t.kind) {
    case 'text':
      return t.min > 0 ? `string, ${t.min}–${t.max} chars` : `string, ≤ ${t.max} chars`;
    case 'int':
      return `integer ${t.min}–${t.max === Number.MAX_SAFE_INTEGER ? '2⁵³−1' : t.max.toLocaleString('en')}`;
    case 'bool':
      return 'boolean';
    case 'guid':
      return 'GUID';
    case 'timestamp':
      return 'timestamp';
    case 'enum':
      return `one of ${t.values.map((v) => `\`${v}\``).join(', ')}${t.caseInsensitive ? ' (any case)' : ''}${t.fallback ? ` (unknown → \`${t.fallback}\`)` : ''}`;
    case 'tokens':
      return t.lenient === true
        ? `space-separated, may be empty, no repeats, unknown words ignored: ${t.values.map((v) => `\`${v}\``).join(', ')}`
        : `space-separated, non-empty, no repeats: ${t.values.map((v) => `\`${v}\``).join(', ')}`;
    case 'object':
      return 'element with the fields below';
    case 'list':
      return `list: ≤ ${t.max.toLocaleString('en')} \`<${t.item}>\` elements`;
  }
}

function rows(specs: readonly FieldSpec[], prefix: string): string[] {
  const out: string[] = [];
  for (const s of specs) {
    const path = prefix + s.key;
    out.push(`| \`${path}\` | ${describeType(s.type)} | ${s.optional ? 'optional' : 'required'} |`);
    if (s.type.kind === 'object') out.push(...rows(s.type.fields, `${path}/`));
    if (s.type.kind === 'list') {
      const item = `${path}/${s.type.item}`;
      if (s.type.type.kind === 'object') out.push(...rows(s.type.type.fields, `${item}/`));
      else out.push(`| \`${item}\` | ${describeType(s.type.type)} | each |`);
    }
  }
  return out;
}

export function catalogueMarkdown(): string {
  const out: string[] = [];
  for (const channel of CHANNELS as readonly Channel[]) {
    out.push(`### Channel \`${channel}\``, '');
    for (const command of commandsOf(channel)) {
      const key = `${channel}/${command}`;
      const about = ABOUT[key];
      const specs = fieldsOf(channel, command) ?? [];
      out.push(`#### \`${key}\``, '', `${about?.dir ?? '?'} · ${about?.source ?? '?'}${about?.note ? ` · ${about.note}` : ''}`, '');
      if (specs.length > 0) out.push('| element | type | |', '|---|---|---|', ...rows(specs, ''), '');
      else out.push('No fields besides `<command>`.', '');
      for (const e of EXAMPLES.filter((x) => `${x.message.channel}/${x.message.command}` === key)) {
        out.push(`Example (${e.description.replace(/\.$/, '')}; vector \`${e.name}\`):`, '', '```xml', encodeMessage(e.message), '```', '');
      }
    }
  }
  return out.join('\n');
}

if (process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) process.stdout.write(catalogueMarkdown());
