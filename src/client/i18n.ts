// German and English UI strings, picked from the user's CRM language
// (usersettings.uilanguageid: 1031 German, 1033 English; anything else → English).

export type Language = 'de' | 'en';

export function languageOf(uiLanguageId: number | undefined): Language {
  return uiLanguageId === 1031 ? 'de' : 'en';
}

const en = {
  statusConnected: 'Connected to the TAPI manager',
  statusConnecting: 'Connecting to the TAPI manager…',
  statusError: 'No connection to the TAPI manager',
  incomingCall: 'Incoming call',
  outgoingCall: 'Outgoing call',
  internalCall: 'Internal call',
  onLine: 'on line',
  unknownCaller: 'Unknown caller',
  createContact: 'Create contact',
  openRecord: 'Open record',
  openPhoneCall: 'Open phone call',
  reject: 'Reject',
  answer: 'Answer',
  close: 'Close',
  answeredBy: 'Answered by',
  connected: 'Connected',
  ended: 'Call ended',
  pickRecord: 'Several records match:',
  missedCalls: 'Missed calls',
  noMissedCalls: 'No missed calls',
  callBack: 'Call back',
  dial: 'Dial',
  dialOn: 'Dial on which line?',
  dialled: 'Dialling',
  dialFailed: 'Dialling failed',
  diagnosticLog: 'Diagnostic log',
  noLines: 'No phone line is assigned to you',
  signIn: 'Sign in',
  signedInAs: 'Signed in as',
  signingIn: 'Signing in…',
  number: 'Number',
  yourLines: 'Your lines',
  cancel: 'Cancel',
  calling: 'Calling…',
  lineBusyTone: 'Busy',
  onHold: 'On hold',
  rejected: 'Call rejected',
  lineFree: 'No call',
  lineUnknown: 'Unknown (no connection)',
  lineOutOfService: 'Out of service',
  lineRinging: 'Ringing',
  lineBusy: 'Busy',
  notANumber: 'Not a phone number',
  numberToDial: 'Phone number to dial',
  statusLog: 'Connection status (Ctrl+Enter or Ctrl+click: diagnostic log)',
} as const;

export type Strings = { readonly [K in keyof typeof en]: string };

const de: Strings = {
  statusConnected: 'Mit dem TAPI-Manager verbunden',
  statusConnecting: 'Verbindung zum TAPI-Manager wird aufgebaut…',
  statusError: 'Keine Verbindung zum TAPI-Manager',
  incomingCall: 'Eingehender Anruf',
  outgoingCall: 'Ausgehender Anruf',
  internalCall: 'Interner Anruf',
  onLine: 'auf Leitung',
  unknownCaller: 'Unbekannter Anrufer',
  createContact: 'Kontakt anlegen',
  openRecord: 'Datensatz öffnen',
  openPhoneCall: 'Telefonanruf öffnen',
  reject: 'Ablehnen',
  answer: 'Annehmen',
  close: 'Schließen',
  answeredBy: 'Angenommen von',
  connected: 'Verbunden',
  ended: 'Anruf beendet',
  pickRecord: 'Mehrere Datensätze passen:',
  missedCalls: 'Verpasste Anrufe',
  noMissedCalls: 'Keine verpassten Anrufe',
  callBack: 'Zurückrufen',
  dial: 'Wählen',
  dialOn: 'Auf welcher Leitung wählen?',
  dialled: 'Wähle',
  dialFailed: 'Wählen fehlgeschlagen',
  diagnosticLog: 'Diagnoseprotokoll',
  noLines: 'Ihnen ist keine Telefonleitung zugeordnet',
  signIn: 'Anmelden',
  signedInAs: 'Angemeldet als',
  signingIn: 'Anmeldung läuft…',
  number: 'Nummer',
  yourLines: 'Ihre Leitungen',
  cancel: 'Abbrechen',
  calling: 'Wähle…',
  lineBusyTone: 'Besetzt',
  onHold: 'Gehalten',
  rejected: 'Anruf abgelehnt',
  lineFree: 'Kein Gespräch',
  lineUnknown: 'Unbekannt (keine Verbindung)',
  lineOutOfService: 'Außer Betrieb',
  lineRinging: 'Klingelt',
  lineBusy: 'Im Gespräch',
  notANumber: 'Keine Telefonnummer',
  numberToDial: 'Zu wählende Telefonnummer',
  statusLog: 'Verbindungsstatus (Strg+Eingabe oder Strg+Klick: Diagnoseprotokoll)',
};

export const STRINGS: Readonly<Record<Language, Strings>> = { en, de };

export function stringsFor(uiLanguageId: number | undefined): Strings {
  return STRINGS[languageOf(uiLanguageId)];
}
