// The shared logging module: one pino logger per service, configured with the
// manual's LogArt / LogFile / LogLevel and safe against secrets.
export { createServiceLogger, type LogArt, type LogSettings, type ServiceLogger, type ServiceLoggerOptions } from './logger.ts';
export { pinoLevelFor, isLogLevel, LOG_LEVEL_MIN, LOG_LEVEL_MAX } from './levels.ts';
export { SecretScrubber, REDACT_PATHS, REDACTED, MIN_SCRUBBED_LENGTH } from './redact.ts';
export { LogError, type LogErrorCode } from './errors.ts';
export { EVENT_QUEUE_LIMIT, type EventCreate, type LineSink } from './targets.ts';
export { FILE_ROTATION, rotatedName, type FileRotation } from './file-target.ts';
