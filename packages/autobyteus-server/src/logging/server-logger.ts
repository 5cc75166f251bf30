import { type DestinationStream, type Logger, pino } from 'pino';

/**
 * Paths that can carry prompts, completions or secrets. Redacted unless LOG_PROMPTS=true (secrets
 * always). The server never logs request bodies on purpose; this is the safety net.
 */
const SECRET_PATHS = [
  'apiKey',
  'token',
  '*.apiKey',
  '*.token',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
];
const PROMPT_PATHS = [
  'messages',
  'prompt',
  'content',
  'completion',
  '*.messages',
  '*.prompt',
  '*.content',
  '*.completion',
  'body',
  '*.body',
];

export interface ServerLoggerOptions {
  level: string;
  logPrompts: boolean;
  destination?: DestinationStream;
}

export function createServerLogger(options: ServerLoggerOptions): Logger {
  const paths = options.logPrompts ? SECRET_PATHS : [...SECRET_PATHS, ...PROMPT_PATHS];
  return pino(
    { name: 'autobyteus-server', level: options.level, redact: { paths, censor: '[redacted]' } },
    options.destination ?? pino.destination(1),
  );
}
