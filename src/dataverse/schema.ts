// The one place that names what the bridge reads and writes in Dataverse:
// our solution's custom entities (publisher prefix configurable, default
// `ctapi`) and the standard entities and fields we rely on. Option values use
// the publisher's option value prefix 94641 (the manual's trace shows
// "Telefonanruf öffnen: 946410001"). fixtures/crm/metadata-ctapi.json is
// generated from here (src/dataverse/schema-metadata.ts) and a test keeps the
// two equal.
import { CrmTapiError } from '../protocol/errors.ts';
import { fieldNames, type AttributeSpec, type EntitySpec, type FieldNames } from './schema-model.ts';

export { bindKey, bindValue, lookupValue } from './schema-model.ts';
export type { AttributeSpec, AttributeType, EntitySpec, FieldNames } from './schema-model.ts';

export const DEFAULT_PUBLISHER_PREFIX = 'ctapi';

export class SchemaError extends CrmTapiError {
  readonly code = 'invalid-publisher-prefix';
}

// Dataverse publisher prefixes: 2–8 letters or digits, starting with a letter,
// and never "mscrm" (reserved by Microsoft).
const PREFIX_PATTERN = /^[a-z][a-z0-9]{1,7}$/;

export function validatePublisherPrefix(prefix: string): string {
  if (!PREFIX_PATTERN.test(prefix) || prefix.startsWith('mscrm')) {
    throw new SchemaError(
      `publisher prefix "${prefix}" is invalid: use 2–8 lower-case letters or digits starting with a letter (not "mscrm")`,
    );
  }
  return prefix;
}

// ---- option sets (values are stable wire facts: never renumber) ----

/** "Tapi Typ": the three kinds of line configuration record. */
export const LINE_CONFIG_KIND = { default: 946410000, site: 946410001, userLine: 946410002 } as const;
export type LineConfigKind = keyof typeof LINE_CONFIG_KIND;

/** "Telefonanruf öffnen": when the client opens a phone call activity. 946410001 is the manual's trace value. */
export const OPEN_PHONE_CALL = { never: 946410000, incoming: 946410001, outgoing: 946410002, always: 946410003 } as const;
export type OpenPhoneCall = keyof typeof OPEN_PHONE_CALL;

/**
 * Yes/no settings that must be able to stay empty so a user line inherits them
 * from its site and the default record (a Dataverse two-options attribute can
 * never be empty, so these are option sets; the manual prints them as 0/1).
 */
export const YES_NO = { no: 946410000, yes: 946410001 } as const;
export type YesNo = keyof typeof YES_NO;

/** Direction of a call log entry. */
export const CALL_DIRECTION = { incoming: 946410000, outgoing: 946410001, internal: 946410002 } as const;
export type CallDirection = keyof typeof CALL_DIRECTION;

/**
 * How a call log entry's call ended for the agent (issue 17): answered and
 * ended there, missed (an incoming call nobody answered), rejected by the
 * agent, transferred (blind or after a consultation), joined to a
 * conference, or an outgoing call nobody answered.
 */
export const CALL_OUTCOME = { answered: 946410000, missed: 946410001, rejected: 946410002, transferred: 946410003, conferenced: 946410004, notAnswered: 946410005 } as const;
export type CallOutcome = keyof typeof CALL_OUTCOME;

export const EVENT_LEVEL = { error: 946410000, warning: 946410001, information: 946410002 } as const;
export type EventLevel = keyof typeof EVENT_LEVEL;

/** "Datentyp" of a setting record ("Konfiguration"); the manual shows "Zwei Optionen". */
export const SETTING_DATA_TYPE = { text: 946410000, twoOptions: 946410001, integer: 946410002 } as const;
export type SettingDataType = keyof typeof SETTING_DATA_TYPE;

/** Names of setting records the bridge reads. */
export const SETTING_NAMES = {
  /** Extra phone fields for the directory: `entity.field` list. */
  incallPhoneFields: 'IncallPhoneFields',
  /** Write customisation steps to the event log (manual 4.2). */
  writeConfigLog: 'WriteConfigLog',
} as const;

// ---- our custom entities ----

function customEntities(p: string) {
  const str = (name: string, maxLength: number, description?: string): AttributeSpec => ({ type: 'string', name: `${p}_${name}`, maxLength, description });
  const int = (name: string, description?: string): AttributeSpec => ({ type: 'int', name: `${p}_${name}`, description });
  const pick = (name: string, options: Record<string, number>, description?: string): AttributeSpec => ({ type: 'picklist', name: `${p}_${name}`, options, description });
  const date = (name: string, description?: string): AttributeSpec => ({ type: 'datetime', name: `${p}_${name}`, description });
  const lookup = (name: string, targets: string[], description?: string): AttributeSpec => ({
    type: 'lookup', name: `${p}_${name}`, navigation: `${p}_${name}`, targets, description,
  });

  const lineConfigAttributes = {
    id: { type: 'uniqueidentifier', name: `${p}_lineconfigid` },
    name: { ...str('name', 200, '"Tapi Name": free text; user lines start as <connector host>:<line name>'), required: true },
    kind: { ...pick('kind', LINE_CONFIG_KIND, '"Tapi Typ"'), required: true },
    line: str('line', 200, '"Tapi Line": <connector host>:<line name>; never changed after creation'),
    lineDisplayName: str('linedisplayname', 200, 'the line name the PBX reports (OutCallLog "Name der Tapline")'),
    connectorHost: str('connectorhost', 255, 'host name of the connector that reported the line'),
    user: lookup('userid', ['systemuser'], '"Tapi Benutzer"'),
    parent: lookup('parentid', [`${p}_lineconfig`], '"Übergeordneter Datensatz"'),
    managerHost: str('managerhost', 255, 'manager host name the connector side reads ("Name des TAPI-Managers")'),
    webSocketUrl: str('websocketurl', 500, '"Server Tapi-Manager": e.g. wss://tapimanagerserver.domain.local:8080'),
    tapiPort: int('tapiport', '"Tapi-Port" (4502–4534)'),
    internationalPrefix: str('internationalprefix', 10, 'Auslandsvorwahl'),
    nationalPrefix: str('nationalprefix', 10, 'Inlandsvorwahl'),
    countryCode: str('countrycode', 10, 'Landeskennzahl'),
    areaCode: str('areacode', 20, 'Vorwahl / Ortskennzahl'),
    baseNumber: str('basenumber', 30, 'Einwahlnummer'),
    outsideLinePrefix: str('outsidelineprefix', 10, 'Amtsvorwahl'),
    incomingDirectionCode: str('incomingdirectioncode', 10, 'Richtungskennzahl'),
    maxInternalLength: int('maxinternallength', 'Länge interne Nummer'),
    dialLocalWithoutAreaCode: pick('diallocalwithoutareacode', YES_NO, 'dial numbers of the own area without the area code (empty = inherit; default yes)'),
    openPhoneCallOnlyWhenConnected: pick('openphonecallonlywhenconnected', YES_NO, '"Telefonanruf erst bei Verbindungsaufbau öffnen"'),
    openPhoneCallAndRecord: pick('openphonecallandrecord', YES_NO, '"Telefonanruf und Datensatz öffnen"'),
    popupPosition: int('popupposition', '"Position des TAPI-Popups" (the manual shows 1)'),
    popupDuration: int('popupduration', '"Anzeigedauer des TAPI-Popups" in seconds (the manual shows 30)'),
    openPhoneCall: pick('openphonecall', OPEN_PHONE_CALL, '"Telefonanruf öffnen"'),
    phoneCallStartEndFields: str('phonecallstartendfields', 500, '"Telefon Zeitfelder" Start/Ende: comma-separated phonecall date attributes that get start and end'),
    phoneCallDurationFields: str('phonecalldurationfields', 500, '"Telefon Zeitfelder" Dauer: comma-separated phonecall attributes that get the duration in minutes'),
  } satisfies Record<string, AttributeSpec>;

  const settingAttributes = {
    id: { type: 'uniqueidentifier', name: `${p}_settingid` },
    name: { ...str('name', 100, 'setting name, e.g. IncallPhoneFields'), required: true },
    application: str('application', 100, '"Anwendung", e.g. CRM TAPI Schnittstelle'),
    parent: lookup('parentid', [`${p}_setting`], '"Übergeordnet"'),
    dataType: pick('datatype', SETTING_DATA_TYPE, '"Datentyp"'),
    textValue: { type: 'memo', name: `${p}_textvalue`, maxLength: 100000 },
    booleanValue: { type: 'boolean', name: `${p}_booleanvalue` },
    integerValue: int('integervalue'),
  } satisfies Record<string, AttributeSpec>;

  const eventLogAttributes = {
    id: { type: 'uniqueidentifier', name: `${p}_eventlogid` },
    name: { ...str('name', 200, 'one-line summary'), required: true },
    level: pick('level', EVENT_LEVEL),
    source: str('source', 200, 'component and host that wrote the entry'),
    message: { type: 'memo', name: `${p}_message`, maxLength: 100000 },
    occurredOn: date('occurredon'),
  } satisfies Record<string, AttributeSpec>;

  const callLogAttributes = {
    id: { type: 'uniqueidentifier', name: `${p}_calllogid` },
    name: { ...str('name', 200, 'summary, e.g. "incoming +4930123 on hicom:25"'), required: true },
    number: str('number', 100, 'the other party\'s number as the PBX sent it'),
    line: str('line', 200, '<connector host>:<line name>'),
    internalNumber: str('internalnumber', 50, 'the extension of the line'),
    start: date('start', 'call start'),
    connected: date('connected', 'time the call was answered (empty when missed)'),
    end: date('end', 'call end'),
    duration: int('duration', 'connected duration in seconds'),
    direction: pick('direction', CALL_DIRECTION),
    missed: { type: 'boolean', name: `${p}_missed` },
    callKey: str('callkey', 200, 'connector host + PBX call id: ties the entry to one call'),
    user: lookup('userid', ['systemuser'], 'agent of the line, when known'),
    phoneCall: lookup('phonecallid', ['phonecall'], 'the phone call activity opened for this call'),
    outcome: pick('outcome', CALL_OUTCOME, 'how the call ended for the agent: answered, missed, rejected, transferred, conferenced, not answered'),
    transferredTo: str('transferredto', 100, 'the number the agent transferred the call to, as dialled (empty when not transferred)'),
  } satisfies Record<string, AttributeSpec>;

  const clientSessionAttributes = {
    id: { type: 'uniqueidentifier', name: `${p}_clientsessionid` },
    name: { ...str('name', 200, 'free text written by the client'), required: true },
    nonce: { ...str('nonce', 100, 'the manager\'s challenge'), required: true },
    clientInstance: str('clientinstance', 100, 'per-tab id of the client'),
  } satisfies Record<string, AttributeSpec>;

  return {
    lineConfig: {
      logicalName: `${p}_lineconfig`, entitySet: `${p}_lineconfigs`, primaryId: `${p}_lineconfigid`, primaryName: `${p}_name`,
      changeTracking: true, ownership: 'UserOwned', attributes: lineConfigAttributes,
      description: '"TAPI Schnittstellen": default, site and user line records',
    },
    setting: {
      logicalName: `${p}_setting`, entitySet: `${p}_settings`, primaryId: `${p}_settingid`, primaryName: `${p}_name`,
      changeTracking: true, ownership: 'OrganizationOwned', attributes: settingAttributes, alternateKeys: { [`${p}_setting_name`]: [`${p}_name`] },
      description: '"Konfiguration": named settings',
    },
    eventLog: {
      logicalName: `${p}_eventlog`, entitySet: `${p}_eventlogs`, primaryId: `${p}_eventlogid`, primaryName: `${p}_name`,
      changeTracking: false, ownership: 'OrganizationOwned', attributes: eventLogAttributes, description: '"Ereignisprotokoll"',
    },
    callLog: {
      logicalName: `${p}_calllog`, entitySet: `${p}_calllogs`, primaryId: `${p}_calllogid`, primaryName: `${p}_name`,
      changeTracking: false, ownership: 'UserOwned', attributes: callLogAttributes, description: '"TAPI Protokolle": one entry per call',
    },
    clientSession: {
      logicalName: `${p}_clientsession`, entitySet: `${p}_clientsessions`, primaryId: `${p}_clientsessionid`, primaryName: `${p}_name`,
      changeTracking: false, ownership: 'UserOwned', attributes: clientSessionAttributes,
      description: 'identity proof: created by the signed-in user in the browser, read back by the manager (createdby is set by the server)',
    },
  } satisfies Record<string, EntitySpec>;
}

export type CustomEntities = ReturnType<typeof customEntities>;
type WithFields<E> = E extends EntitySpec<infer A> ? E & { readonly fields: FieldNames<A> } : never;

export type Schema = { readonly prefix: string } & { readonly [K in keyof CustomEntities]: WithFields<CustomEntities[K]> };

/** Names of our solution's entities for a publisher prefix. */
export function createSchema(prefix: string = DEFAULT_PUBLISHER_PREFIX): Schema {
  const entities = customEntities(validatePublisherPrefix(prefix));
  const out: Record<string, unknown> = { prefix };
  for (const [key, spec] of Object.entries(entities)) out[key] = { ...spec, fields: fieldNames(spec.attributes) };
  return out as Schema;
}

export * from './schema-standard.ts';
