import { type DestinationStream, type Logger, pino } from 'pino';
import { printable, redactTarget } from '../http/untrusted-text.js';
import type { LogFormat } from './log-format.js';
import { prettyDestination } from './pretty-destination.js';
import type { TerminalLine } from './terminal-line.js';

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
  /** `json` (default): one JSON object per line; `pretty`: readable lines (see {@link chooseLogFormat}). */
  format?: LogFormat;
  /** Colour the pretty lines (a terminal that wants colour). */
  colorize?: boolean;
  /** Where lines go (default stdout). */
  destination?: DestinationStream;
  /** The terminal's live progress line, kept below the log lines (same terminal only). */
  terminalLine?: TerminalLine;
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

/**
 * The server's logger. Redaction happens in pino, before a record is serialised, so the pretty
 * format (which prints the serialised record) shows exactly what the JSON format would.
 */
export function createServerLogger(options: ServerLoggerOptions): Logger {
  const paths = options.logPrompts ? SECRET_PATHS : [...SECRET_PATHS, ...PROMPT_PATHS];
  let destination: DestinationStream = options.destination ?? pino.destination(1);
  if (options.format === 'pretty') destination = prettyDestination(destination, options.colorize ?? false);
  const line = options.terminalLine;
  if (line) {
    const inner = destination;
    destination = { write: (text: string) => line.around(() => inner.write(text)) };
  }
  return pino(
    {
      name: 'autobyteus-server',
      level: options.level,
      redact: { paths, censor: '[redacted]' },
      serializers: { req: serializeRequest },
    },
    destination,
  );
}
