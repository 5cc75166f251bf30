import { LLMFactory } from 'autobyteus';
import type { Logger } from 'pino';
import { toLibrarySettings } from '../config/library-settings.js';
import type { ServerConfig } from '../config/server-config.js';
import { runningManagedHosts } from '../engines/managed-engines.js';
import { withoutOwnManagedHosts } from '../engines/managed-ports.js';

/**
 * The library factory for this configuration; library warnings go to the server log. Configured
 * hosts that are this server's own managed engines are left out (their models are local models).
 */
export function createFactory(
  config: ServerConfig,
  logger: Logger,
  extraHosts?: { llamaCpp?: string[]; mlx?: string[] },
): LLMFactory {
  const own = withoutOwnManagedHosts(config);
  for (const { key, host, range } of own.dropped) {
    logger.warn(
      { setting: key, host },
      `${key}: ${host} is in this server's managed engine ports ${range.first}-${range.last}; its models are served as local models, so the host is left out (to use an engine of your own, run it outside that range)`,
    );
  }
  return new LLMFactory({
    settings: toLibrarySettings(own.config, extraHosts),
    logger: logger.child({ component: 'autobyteus' }),
  });
}

/** The factory for CLI commands: configured hosts plus the managed engines this home is running. */
export function createCliFactory(config: ServerConfig, logger: Logger): LLMFactory {
  return createFactory(config, logger, runningManagedHosts(config));
}
