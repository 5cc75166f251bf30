import type { Logger } from 'pino';
import { type LoadConfigOptions, loadServerConfig, type ServerConfig } from '../config/server-config.js';
import { createServerLogger } from '../logging/server-logger.js';

export interface GlobalOptions {
  config?: string;
}

/** Configuration plus a logger for CLI commands: logs go to stderr, so stdout stays clean for output and --json. */
export function cliContext(
  options: GlobalOptions,
  overrides?: LoadConfigOptions['overrides'],
): { config: ServerConfig; logger: Logger } {
  const config = loadServerConfig({ configPath: options.config, overrides });
  const level = process.env.LOG_LEVEL ? config.values.LOG_LEVEL : 'warn';
  const logger = createServerLogger({ level, logPrompts: config.values.LOG_PROMPTS, destination: process.stderr });
  return { config, logger };
}
