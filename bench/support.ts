// What every benchmark script needs: its command-line figures and a median.

/**
 * A bad command-line argument ends the script before it measures anything: one line on stderr,
 * `error: invalid-option: MESSAGE`, and exit status 2, as bench/run.ts and the `crm-tapi` commands
 * answer a usage error (no stack trace: the message says what to change).
 */
export function usageError(message: string): never {
  process.stderr.write(`error: invalid-option: ${message}\n`);
  process.exit(2);
}

/** `--name N` from the command line (a positive whole number), else `fallback`. */
export function intArg(name: string, fallback: number): number {
  const text = textArg(name);
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isInteger(value) || value < 1) usageError(`--${name} must be a positive whole number; got ${given(text, value)}`);
  return value;
}

/** `--name X` from the command line (a positive number), else `fallback`. */
export function numberArg(name: string, fallback: number): number {
  const text = textArg(name);
  const value = text === undefined ? fallback : Number(text);
  if (!Number.isFinite(value) || value <= 0) usageError(`--${name} must be a positive number; got ${given(text, value)}`);
  return value;
}

/** What a refused number was: the text as typed (quoted), or the script's own fallback. */
const given = (text: string | undefined, value: number): string => (text === undefined ? String(value) : JSON.stringify(text));

/** `--name VALUE` from the command line as given ('' when the option ends the line), else undefined. */
export function textArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : (process.argv[i + 1] ?? '');
}

/** The middle value (the upper one of an even count); NaN for none. */
export function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
}

/**
 * The verdict line every benchmark ends with, read by bench/run.ts (the last
 * line that starts with "requirement"): `requirement met: FIGURES`,
 * `requirement NOT met: FIGURES` (the exit code becomes 1), or
 * `requirement not checked WHY: FIGURES` where the sizes are too small to
 * judge the requirement — the script has still failed on anything lost.
 */
export function verdict(outcome: boolean | { notChecked: string }, figures: string): void {
  const head = typeof outcome === 'object' ? `not checked ${outcome.notChecked}` : outcome ? 'met' : 'NOT met';
  console.log(`requirement ${head}: ${figures}`);
  if (outcome === false) process.exitCode = 1;
}
