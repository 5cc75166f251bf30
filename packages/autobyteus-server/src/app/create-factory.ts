import { type HostKeyLookup, LLMFactory } from 'autobyteus';
import type { Logger } from 'pino';
import { toLibrarySettings } from '../config/library-settings.js';
import type { ServerConfig } from '../config/server-config.js';
import { runningManagedEngines } from '../engines/managed-engines.js';
import { withoutOwnManagedHosts } from '../engines/managed-ports.js';

/**
 * The library factory for this configuration; library warnings go to the server log. Configured
 * hosts that are this server's own managed engines are left out (their models are local models).
 * `hostKeys` gives the keys of the managed engines (fresh per launch) to every client and probe.
 */
export function createFactory(
  config: ServerConfig,
  logger: Logger,
  extraHosts?: { llamaCpp?: string[]; mlx?: string[] },
  hostKeys?: HostKeyLookup,
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
    ...(hostKeys ? { hostKeys } : {}),
  });
}

/**
 * The factory for CLI commands: configured hosts plus the managed engines this home is running, with the
 * keys recorded in their PID files.
 */
export function createCliFactory(config: ServerConfig, logger: Logger): LLMFactory {
  const running = runningManagedEngines(config);
  return createFactory(config, logger, running.hosts, (_runtime, hostUrl) => running.keys.get(hostUrl));
}
