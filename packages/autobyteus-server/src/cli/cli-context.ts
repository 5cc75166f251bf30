import type { Logger } from 'pino';
import { type LoadConfigOptions, loadServerConfig, type ServerConfig } from '../config/server-config.js';
import type { TerminalLine } from '../logging/terminal-line.js';
import { createTerminalLogger } from '../logging/terminal-logger.js';

export interface GlobalOptions {
  config?: string;
}

/**
 * Configuration plus a logger for CLI commands: logs go to stderr, so stdout stays clean for output and
 * --json. A command that draws a live progress line on stderr passes it, so log lines go above it.
 */
export function cliContext(
  options: GlobalOptions,
  overrides?: LoadConfigOptions['overrides'],
  terminalLine?: TerminalLine,
): { config: ServerConfig; logger: Logger } {
  const config = loadServerConfig({ configPath: options.config, overrides });
  const level = process.env.LOG_LEVEL ? config.values.LOG_LEVEL : 'warn';
  const logger = createTerminalLogger(config.values, process.stderr, {
    level,
    ...(terminalLine ? { terminalLine } : {}),
  });
  return { config, logger };
}
