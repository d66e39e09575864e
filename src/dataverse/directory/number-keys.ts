// How numbers become directory keys. The directory does not know the dialing
// rules; it receives this small interface (dialing-keys.ts wires src/dialing).

export interface IncomingKeys {
  /** The key of the caller's number. */
  readonly exact: string;
  /** Tried only when `exact` matches nothing: the company's base number of an extension call. */
  readonly fallback?: string;
}

export interface NumberKeys<Line> {
  /**
   * The key of a number typed into a CRM record, normalised with the default
   * record's settings (CRM records belong to no site), or undefined when the
   * field is empty or unusable. Called once per phone field: must not throw.
   */
  crmKey(typed: string): string | undefined;
  /** Keys of an incoming caller number, normalised with the line's effective settings; undefined if unusable. */
  incomingKeys(callerNumber: string, line: Line): IncomingKeys | undefined;
  /** Identifies the settings `crmKey` uses: a snapshot taken with other settings is stale. */
  readonly fingerprint: string;
}
