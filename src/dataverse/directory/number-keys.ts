// How numbers become directory keys. The directory does not know the dialing
// rules; it receives this small interface (dialing-keys.ts wires src/dialing).

export interface NumberKeys<Line> {
  /**
   * The key of a number typed into a CRM record, normalised with the default
   * record's settings (CRM records belong to no site), or undefined when the
   * field is empty or unusable. Called once per phone field: must not throw.
   */
  crmKey(typed: string): string | undefined;
  /**
   * Keys of an incoming caller number, normalised with the line's effective
   * settings, best first: the caller's own number, then fallbacks (the
   * company's base number for a call from its extension range). Empty when
   * the number is unusable.
   */
  incomingKeys(callerNumber: string, line: Line): readonly string[];
  /** Identifies the settings `crmKey` uses: a snapshot taken with other settings is stale. */
  readonly fingerprint: string;
  /**
   * How a worker thread builds the same keys, so a full build can normalise
   * there while the main thread indexes; without one it normalises on the
   * main thread.
   */
  readonly recipe?: KeysRecipe;
}

/**
 * `(await import(module))[exportName](argument)` gives NumberKeys whose
 * `crmKey` answers exactly as this one's. `argument` must survive
 * structured cloning (plain data).
 */
export interface KeysRecipe {
  readonly module: string;
  readonly exportName: string;
  readonly argument: unknown;
}
