import { LLMFactory } from 'autobyteus';
import type { Logger } from 'pino';
import { toLibrarySettings } from '../config/library-settings.js';
import type { ServerConfig } from '../config/server-config.js';

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
