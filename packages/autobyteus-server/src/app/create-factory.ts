import { LLMFactory } from 'autobyteus';
import type { Logger } from 'pino';
import { toLibrarySettings } from '../config/library-settings.js';
import type { ServerConfig } from '../config/server-config.js';
import { runningManagedHosts } from '../engines/managed-engines.js';

/** The library factory for this configuration; library warnings go to the server log. */
export function createFactory(
  config: ServerConfig,
  logger: Logger,
  extraHosts?: { llamaCpp?: string[]; mlx?: string[] },
): LLMFactory {
  return new LLMFactory({
    settings: toLibrarySettings(config, extraHosts),
    logger: logger.child({ component: 'autobyteus' }),
  });
}

/** The factory for CLI commands: configured hosts plus the managed engines this home is running. */
export function createCliFactory(config: ServerConfig, logger: Logger): LLMFactory {
  return createFactory(config, logger, runningManagedHosts(config));
}
