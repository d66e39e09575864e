// The service logger shared by the connector and the manager: pino with the
// manual's settings (`LogArt`, `LogFile`, `LogLevel`), changeable while the
// service runs, with every line scrubbed of secrets before it leaves.
import { pino, stdTimeFunctions, type Logger } from 'pino';
import { pinoLevelFor } from './levels.ts';
import { REDACT_PATHS, REDACTED, SecretScrubber } from './redact.ts';
import { openFileTarget, streamTarget, windowsEventTarget, type EventCreate, type LineSink, type LogTarget } from './targets.ts';

export type LogArt = 'Event' | 'File';

/** The manual's three log settings, already validated. */
export interface LogSettings {
  LogArt: LogArt;
  /** Required when `LogArt` is `File`. */
  LogFile?: string | undefined;
  LogLevel: number;
}

export interface ServiceLoggerOptions {
  /** `connector` or `manager`: names the event source and tags every line. */
  service: string;
  settings: LogSettings;
  /** Secret values that must never appear in a line (e.g. the connector key). */
  secrets?: readonly string[];
  /** Defaults to `process.platform`; decides what `LogArt = Event` means. */
  platform?: NodeJS.Platform;
  /** Where `Event` goes off Windows (and where Windows falls back). Defaults to stdout. */
  stdout?: LineSink;
  /** Replaces the `eventcreate` call (tests on Linux). */
  eventCreate?: EventCreate;
}

export interface ServiceLogger {
  readonly logger: Logger;
  /** The settings in force. */
  readonly settings: LogSettings;
  /** Where lines currently go, e.g. `file /var/log/crm-tapi/connector.log`. */
  readonly destination: string;
  /**
   * Applies changed settings. A level change is immediate; a destination
   * change opens the new target first and keeps the old one if that fails
   * (then it rejects with a `LogError`).
   */
  apply(settings: LogSettings): Promise<void>;
  setSecrets(secrets: readonly string[]): void;
  /** Flushes and closes the current target. */
  close(): Promise<void>;
}

function sameDestination(a: LogSettings, b: LogSettings): boolean {
  return a.LogArt === b.LogArt && (a.LogArt !== 'File' || a.LogFile === b.LogFile);
}

export async function createServiceLogger(options: ServiceLoggerOptions): Promise<ServiceLogger> {
  const platform = options.platform ?? process.platform;
  const stdout = options.stdout ?? process.stdout;
  const scrubber = new SecretScrubber(options.secrets ?? []);

  async function openTarget(settings: LogSettings): Promise<LogTarget> {
    if (settings.LogArt === 'File') {
      // Validation guarantees LogFile with File; this guards a programming error.
      if (settings.LogFile === undefined) return streamTarget(stdout);
      return openFileTarget(settings.LogFile);
    }
    if (platform === 'win32') return windowsEventTarget(`CrmTapi ${options.service}`, stdout, options.eventCreate);
    return streamTarget(stdout);
  }

  let settings = { ...options.settings };
  let target = await openTarget(settings);

  // pino writes to this one object for its whole life; only what it forwards to changes.
  const switchable = {
    write(line: string): void {
      target.write(scrubber.scrub(line));
    },
  };

  const logger = pino(
    {
      level: pinoLevelFor(settings.LogLevel),
      base: { service: options.service },
      timestamp: stdTimeFunctions.isoTime,
      redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    },
    switchable,
  );

  return {
    logger,
    get settings() {
      return { ...settings };
    },
    get destination() {
      return target.describe;
    },
    async apply(next: LogSettings) {
      if (!sameDestination(settings, next)) {
        const opened = await openTarget(next);
        const old = target;
        target = opened;
        await old.close();
      }
      settings = { ...next };
      logger.level = pinoLevelFor(next.LogLevel);
    },
    setSecrets(secrets) {
      scrubber.setSecrets(secrets);
    },
    async close() {
      await target.close();
    },
  };
}
