// Secrets (the connector key, CRM passwords, tokens) must never reach a log.
// Two nets: pino's path redaction for fields whose *name* marks a secret, and
// a scrubber on the finished line for the secret *values* themselves, which
// also catches a secret that slipped into a message string or an error text.

/** Field names redacted wherever they appear (top level and one level down). */
const SECRET_KEYS = ['ConnectorKey', 'connectorKey', 'password', 'CrmPassword', 'ServicePassword', 'secret', 'token', 'authorization'];

export const REDACT_PATHS: readonly string[] = SECRET_KEYS.flatMap((name) => [name, `*.${name}`]);

export const REDACTED = '[redacted]';

/**
 * Values shorter than this are not scrubbed: replacing a two-letter "secret"
 * everywhere would garble every line. Configuration demands longer keys.
 */
export const MIN_SCRUBBED_LENGTH = 6;

function escapeForJson(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

export class SecretScrubber {
  #secrets: string[] = [];
  #needles: string[] = [];

  constructor(secrets: readonly string[] = []) {
    this.setSecrets(secrets);
  }

  /** Replaces the set of secret values (e.g. after the configuration changed). */
  setSecrets(secrets: readonly string[]): void {
    this.#secrets = [...secrets];
    const needles = new Set<string>();
    for (const secret of secrets) {
      if (secret.length < MIN_SCRUBBED_LENGTH) continue;
      needles.add(secret);
      // Lines are JSON: a secret with quotes or backslashes appears escaped.
      needles.add(escapeForJson(secret));
    }
    // Longest first so a secret that contains another is replaced whole.
    this.#needles = [...needles].sort((a, b) => b.length - a.length);
  }

  addSecret(secret: string): void {
    this.setSecrets([...this.#secrets, secret]);
  }

  scrub(line: string): string {
    let out = line;
    for (const needle of this.#needles) {
      if (out.includes(needle)) out = out.split(needle).join(REDACTED);
    }
    return out;
  }
}
