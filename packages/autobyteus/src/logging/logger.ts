import { pino } from 'pino';

/**
 * The logging surface the library needs. A pino logger fits as is; so does any object with these
 * four methods taking `(fields, message)`.
 */
export interface Logger {
  debug(fields: object, message?: string): void;
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

/**
 * Paths that may carry prompts, completions or secrets. The library never logs them on purpose;
 * redaction is the second line of defence for callers who pass request objects in `fields`.
 */
export const REDACTED_PATHS = [
  'apiKey',
  'apiKeys',
  'authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'messages',
  'prompt',
  'content',
  '*.apiKey',
  '*.apiKeys',
  'runtimes.*.apiKey',
  'runtimes.*.apiKeys',
  '*.runtimes.*.apiKey',
  '*.runtimes.*.apiKeys',
  '*.messages',
  '*.content',
];

/** Warnings and errors to stderr as JSON lines, secrets and prompts redacted. */
export function createDefaultLogger(level: string = 'warn'): Logger {
  return pino(
    { name: 'autobyteus', level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    pino.destination(2),
  );
}

/** A logger that drops everything (tests and embedders that log elsewhere). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
