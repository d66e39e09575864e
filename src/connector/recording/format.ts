// The session recording format (spec/recording.md): JSON Lines, a header line
// then one entry per line — an event, a command with its outcome, or the end.
// Reading is strict and names the line of the first fault, so a truncated or
// hand-edited file is caught before a CI pipeline replays half a session.
import { readFile } from 'node:fs/promises';
import { CrmTapiError } from '../../protocol/errors.ts';
import type { LineInfo, LineProviderErrorCode, ProviderEvent } from '../line-provider.ts';
import { entrySchemaFor, headerSchema } from './schema.ts';
import type { CommandName } from './schema.ts';

export const RECORDING_FORMAT = 'crm-tapi-recording';
export const RECORDING_VERSION = 1;

export interface RecordingHeader {
  readonly format: typeof RECORDING_FORMAT;
  readonly version: number;
  /** The recorded provider's `kind`. */
  readonly provider: string;
  /** Wall-clock time of the start (ISO 8601); `t` offsets count from there. */
  readonly startedAt: string;
  readonly lines: readonly LineInfo[];
}

export type RecordingEntry =
  | { readonly t: number; readonly event: ProviderEvent }
  | {
      readonly t: number;
      readonly command: CommandName;
      readonly args: readonly string[];
      readonly ok: boolean;
      readonly result?: string;
      readonly error?: { readonly code: LineProviderErrorCode; readonly message: string };
    }
  | { readonly t: number; readonly end: string };

export type CommandEntry = Extract<RecordingEntry, { command: CommandName }>;

export interface Recording {
  readonly header: RecordingHeader;
  readonly entries: readonly RecordingEntry[];
}

export type RecordingErrorCode = 'recording-not-found' | 'recording-unreadable' | 'recording-empty' | 'recording-corrupt' | 'recording-truncated' | 'recording-version';

export class RecordingError extends CrmTapiError {
  constructor(
    readonly code: RecordingErrorCode,
    message: string,
    /** 1-based line of the fault. */
    readonly line?: number,
  ) {
    super(message);
  }
}

export function encodeHeader(header: RecordingHeader): string {
  return `${JSON.stringify(header)}\n`;
}

export function encodeEntry(entry: RecordingEntry): string {
  return `${JSON.stringify(entry)}\n`;
}

function describe(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'invalid';
  return `${issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : ''}${issue.message}`;
}

/**
 * Parses a whole recording. Without `allowUnfinished`, a recording must end
 * with its `end` entry (a recorder that was killed leaves none).
 */
export function parseRecording(text: string, options: { origin?: string; allowUnfinished?: boolean } = {}): Recording {
  const origin = options.origin ?? 'recording';
  const lines = text.split('\n');
  // A file written completely ends with a newline, so the last piece is empty.
  const complete = lines.at(-1) === '';
  if (complete) lines.pop();
  if (lines.length === 0 || (lines.length === 1 && lines[0]?.trim() === '')) {
    throw new RecordingError('recording-empty', `${origin}: line 1: the recording is empty`, 1);
  }
  const fail = (n: number, code: RecordingErrorCode, message: string): never => {
    throw new RecordingError(code, `${origin}: line ${n}: ${message}`, n);
  };
  const json = (n: number): unknown => {
    const raw = lines[n - 1] as string;
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      if (n === lines.length && !complete) fail(n, 'recording-truncated', 'the recording is cut off in the middle of this line');
      return fail(n, 'recording-corrupt', 'not valid JSON');
    }
  };

  const rawHeader = json(1);
  const version = (rawHeader as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version !== RECORDING_VERSION && (rawHeader as { format?: unknown }).format === RECORDING_FORMAT) {
    fail(1, 'recording-version', `format version ${version} is not supported (this reader knows version ${RECORDING_VERSION})`);
  }
  const header = headerSchema.safeParse(rawHeader);
  if (!header.success) fail(1, 'recording-corrupt', `not a recording header: ${describe(header.error)}`);

  const entries: RecordingEntry[] = [];
  let lastT = 0;
  let lastAt = 0;
  let ended = false;
  for (let n = 2; n <= lines.length; n++) {
    if (ended) fail(n, 'recording-corrupt', 'an entry after the end entry');
    const raw = json(n);
    const schema = entrySchemaFor(raw);
    if (schema === undefined) fail(n, 'recording-corrupt', 'an entry is an object with one of event, command or end');
    const parsed = (schema as NonNullable<typeof schema>).safeParse(raw);
    if (!parsed.success) fail(n, 'recording-corrupt', describe(parsed.error));
    const entry = parsed.data as RecordingEntry;
    if (entry.t < lastT) fail(n, 'recording-corrupt', `time offset ${entry.t} is before the previous one (${lastT})`);
    lastT = entry.t;
    if ('event' in entry) {
      if (entry.event.at < lastAt) fail(n, 'recording-corrupt', `event time ${entry.event.at} is before the previous event's (${lastAt})`);
      lastAt = entry.event.at;
    }
    if ('end' in entry) ended = true;
    entries.push(entry);
  }
  if (!ended && options.allowUnfinished !== true) {
    fail(lines.length, 'recording-truncated', 'the recording ends without its end entry (the recorder was interrupted)');
  }
  return { header: header.data as RecordingHeader, entries };
}

/** Reads and parses a recording file; a missing or unreadable file is a RecordingError too. */
export async function readRecordingFile(path: string, options: { allowUnfinished?: boolean } = {}): Promise<Recording> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new RecordingError('recording-not-found', `${path}: no such recording file`);
    throw new RecordingError('recording-unreadable', `${path}: cannot read the recording (${code ?? 'error'})`);
  }
  return parseRecording(text, { origin: path, ...options });
}
