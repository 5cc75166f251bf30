import { type DestinationStream, type Logger, pino } from 'pino';
import { printable, redactTarget } from '../http/untrusted-text.js';

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

/** The request fields Fastify logs, as far as a client controls them. */
interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/**
 * How a request appears in the log: query values redacted (clients put tokens there), network text
 * printable and bounded. Fastify uses this serializer for its "incoming request" lines.
 */
export function serializeRequest(req: LoggedRequest) {
  return {
    method: req.method,
    url: redactTarget(req.url ?? ''),
    host: req.host === undefined ? undefined : printable(req.host),
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

export function createServerLogger(options: ServerLoggerOptions): Logger {
  const paths = options.logPrompts ? SECRET_PATHS : [...SECRET_PATHS, ...PROMPT_PATHS];
  return pino(
    {
      name: 'autobyteus-server',
      level: options.level,
      redact: { paths, censor: '[redacted]' },
      serializers: { req: serializeRequest },
    },
    options.destination ?? pino.destination(1),
  );
}
