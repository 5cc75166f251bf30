import { type Logger, pino } from 'pino';
import { BatchedLogDestination } from './batched-log-destination.js';
import { chooseLogFormat, type LogFormatSetting } from './log-format.js';
import { createServerLogger } from './server-logger.js';
import type { TerminalLine } from './terminal-line.js';

/** The log settings a command reads from its configuration. */
export interface LogSettings {
  LOG_LEVEL: string;
  LOG_PROMPTS: boolean;
  /** `auto`, `json` or `pretty` (validated by the configuration; anything else reads as `auto`). */
  LOG_FORMAT: string;
}

const SETTINGS: readonly string[] = ['auto', 'json', 'pretty'] satisfies LogFormatSetting[];

/** The stream a command logs to: stdout for `serve`/`up`, stderr for the other commands. */
export interface LogStream {
  fd: number;
  isTTY?: boolean;
}

/**
 * The logger of a CLI command writing to `stream`: readable lines when it is a terminal (or
 * `LOG_FORMAT=pretty`), coloured only on a terminal; JSON otherwise. `level` overrides LOG_LEVEL.
 */
export function createTerminalLogger(
  settings: LogSettings,
  stream: LogStream,
  options: { level?: string; terminalLine?: TerminalLine } = {},
): Logger {
  const isTTY = stream.isTTY === true;
  return createServerLogger({
    level: options.level ?? settings.LOG_LEVEL,
    logPrompts: settings.LOG_PROMPTS,
    format: chooseLogFormat(
      SETTINGS.includes(settings.LOG_FORMAT) ? (settings.LOG_FORMAT as LogFormatSetting) : 'auto',
      isTTY,
    ),
    colorize: isTTY,
    // Synchronous on a terminal, so a log line is on screen before the live progress line is redrawn
    // below it (and a terminal is slow enough that buffering buys nothing); batched elsewhere.
    destination: isTTY ? pino.destination({ dest: stream.fd, sync: true }) : new BatchedLogDestination(stream.fd),
    ...(isTTY && options.terminalLine ? { terminalLine: options.terminalLine } : {}),
  });
}
