// How every sub-command reports failure: one line `error: <code>: <explanation>`
// on stderr and a non-zero exit status, nothing else for the bad input.

/**
 * The exit statuses every sub-command shares (README "Exit status"):
 * 0 ok, 1 a failure at run time, 2 usage or configuration errors (a bad
 * option, an unreadable or invalid configuration file). `crm-tapi check`
 * adds its own statuses 3–8 for what the CRM answered; 70 is an internal error.
 */
export const EXIT = { ok: 0, failure: 1, usage: 2, internal: 70 } as const;

/** Thrown by a command to end the process with a given status after it printed its error. */
export class CliExit extends Error {
  constructor(readonly status: number) {
    super(`exit ${status}`);
  }
}

export function printError(code: string, explanation: string): void {
  process.stderr.write(`error: ${code}: ${explanation}\n`);
}

/** Prints the error line and ends the command with `status` (default 1). */
export function fail(code: string, explanation: string, status = 1): never {
  printError(code, explanation);
  throw new CliExit(status);
}

/** Writes lines to stdout; a reader that goes away (`| head`) ends the output quietly, not with EPIPE. */
export function stdoutPrinter(onGone: () => void): (line: string) => void {
  let gone = false;
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    gone = true;
    onGone();
  });
  return (line) => {
    if (!gone) process.stdout.write(line);
  };
}
