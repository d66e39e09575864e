// English (1033) and German (1031) labels of our tables, columns and option
// values: the solution ships both languages (manual 1, 2.2) and the simulated
// Dataverse answers FormattedValue annotations in the user's UI language.
import type { CustomEntities } from '../schema.ts';

export type Label = readonly [en: string, de: string];

/** Table display names: singular and plural. */
export const ENTITY_LABELS: { readonly [K in keyof CustomEntities]: { readonly one: Label; readonly many: Label } } = {
  lineConfig: { one: ['TAPI interface', 'TAPI Schnittstelle'], many: ['TAPI interfaces', 'TAPI Schnittstellen'] },
  setting: { one: ['Configuration', 'Konfiguration'], many: ['Configurations', 'Konfigurationen'] },
  eventLog: { one: ['Event log entry', 'Ereignisprotokoll'], many: ['Event log', 'Ereignisprotokolle'] },
  callLog: { one: ['TAPI call log', 'TAPI Protokoll'], many: ['TAPI call logs', 'TAPI Protokolle'] },
  clientSession: { one: ['TAPI client session', 'TAPI Client-Sitzung'], many: ['TAPI client sessions', 'TAPI Client-Sitzungen'] },
};

/** Column display names by code name (the keys of each table's attributes). */
export const ATTRIBUTE_LABELS: Readonly<Record<string, Label>> = {
  id: ['Id', 'Id'],
  name: ['Name', 'Name'],
  kind: ['Tapi type', 'Tapi Typ'],
  line: ['Tapi line', 'Tapi Line'],
  lineDisplayName: ['Line display name', 'Name der Tapline'],
  connectorHost: ['Connector host', 'Connector-Host'],
  user: ['Tapi user', 'Tapi Benutzer'],
  parent: ['Parent record', 'Übergeordneter Datensatz'],
  managerHost: ['TAPI manager host', 'Name des TAPI-Managers'],
  webSocketUrl: ['TAPI manager server', 'Server Tapi-Manager'],
  tapiPort: ['Tapi port', 'Tapi-Port'],
  internationalPrefix: ['International prefix', 'Auslandsvorwahl'],
  nationalPrefix: ['National prefix', 'Inlandsvorwahl'],
  countryCode: ['Country code', 'Landeskennzahl'],
  areaCode: ['Area code', 'Vorwahl'],
  baseNumber: ['Base number', 'Einwahlnummer'],
  outsideLinePrefix: ['Outside line prefix', 'Amtsvorwahl'],
  incomingDirectionCode: ['Incoming direction code', 'Richtungskennzahl'],
  maxInternalLength: ['Max. internal number length', 'Länge interne Nummer'],
  dialLocalWithoutAreaCode: ['Dial local numbers without area code', 'Ortsnummern ohne Vorwahl wählen'],
  openPhoneCallOnlyWhenConnected: ['Open phone call only when connected', 'Telefonanruf erst bei Verbindungsaufbau öffnen'],
  openPhoneCallAndRecord: ['Open phone call and record', 'Telefonanruf und Datensatz öffnen'],
  popupPosition: ['Popup position', 'Position des TAPI-Popups'],
  popupDuration: ['Popup duration', 'Anzeigedauer des TAPI-Popups'],
  openPhoneCall: ['Open phone call', 'Telefonanruf öffnen'],
  phoneCallStartEndFields: ['Phone call start/end fields', 'Telefon Zeitfelder Start/Ende'],
  phoneCallDurationFields: ['Phone call duration fields', 'Telefon Zeitfelder Dauer'],
  application: ['Application', 'Anwendung'],
  dataType: ['Data type', 'Datentyp'],
  textValue: ['Text value', 'Wert (Text)'],
  booleanValue: ['Yes/no value', 'Wert (Zwei Optionen)'],
  integerValue: ['Whole number value', 'Wert (Ganzzahl)'],
  level: ['Level', 'Stufe'],
  source: ['Source', 'Quelle'],
  message: ['Message', 'Meldung'],
  occurredOn: ['Occurred on', 'Zeitpunkt'],
  number: ['Number', 'Nummer'],
  internalNumber: ['Internal number', 'Interne Nummer'],
  start: ['Start', 'Beginn'],
  connected: ['Connected', 'Verbindungsaufbau'],
  end: ['End', 'Verbindungsende'],
  duration: ['Duration (seconds)', 'Gesprächsdauer (Sekunden)'],
  direction: ['Direction', 'Gesprächsrichtung'],
  missed: ['Missed', 'Verpasst'],
  callKey: ['Call key', 'Anrufschlüssel'],
  phoneCall: ['Phone call', 'Telefonanruf'],
  nonce: ['Nonce', 'Nonce'],
  clientInstance: ['Client instance', 'Client-Instanz'],
};

/** Option labels by the column's name without prefix; two-options-like sets share `yesno`. */
export const OPTION_LABELS: Readonly<Record<string, Readonly<Record<string, Label>>>> = {
  kind: { default: ['Default', 'Standard'], site: ['Site', 'Standort'], userLine: ['User', 'Benutzer'] },
  openphonecall: {
    never: ['Never', 'Nie'], incoming: ['Incoming calls', 'Eingehende Anrufe'],
    outgoing: ['Outgoing calls', 'Ausgehende Anrufe'], always: ['All calls', 'Alle Anrufe'],
  },
  yesno: { no: ['No', 'Nein'], yes: ['Yes', 'Ja'] },
  direction: { incoming: ['Incoming', 'Eingehend'], outgoing: ['Outgoing', 'Ausgehend'], internal: ['Internal', 'Intern'] },
  level: { error: ['Error', 'Fehler'], warning: ['Warning', 'Warnung'], information: ['Information', 'Information'] },
  datatype: { text: ['Text', 'Text'], twoOptions: ['Two options', 'Zwei Optionen'], integer: ['Whole number', 'Ganzzahl'] },
};

/** English and German label of every option value of a column. */
export function optionLabels(attributeName: string, options: Readonly<Record<string, number>>): { value: number; label: Label }[] {
  const bare = attributeName.replace(/^[a-z0-9]+_/, '');
  const table = OPTION_LABELS[bare] ?? (Object.keys(options).join() === 'no,yes' ? OPTION_LABELS.yesno : undefined) ?? {};
  return Object.entries(options).map(([code, value]) => ({ value, label: table[code] ?? [code, code] }));
}
