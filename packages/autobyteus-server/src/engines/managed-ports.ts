import type { ServerConfig } from '../config/server-config.js';
import { wantsManaged } from './managed-engines.js';
import { type EngineSpec, engineSpecs } from './specs/engine-spec.js';

/**
 * How many ports from its base (`LLAMACPP_MANAGED_PORT`, `MLX_MANAGED_PORT`) a managed engine's model
 * instances may take, one per loaded model. The defaults (18000, 18200) keep the two ranges apart and
 * away from 8000, where autobyteus-server-ts listens and the library looks for a llama-server people
 * run themselves (docs/ports.md).
 */
export const MANAGED_PORT_SPAN = 200;

/** The ports the managed engine of `spec` may listen on in this configuration, inclusive. */
export function managedPortRange(config: ServerConfig, spec: EngineSpec): { first: number; last: number } {
  const first = Number(config.values[spec.keys.port]);
  return { first, last: Math.min(65535, first + MANAGED_PORT_SPAN - 1) };
}

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\]|0\.0\.0\.0)$/i;

/** True when `hostUrl` is a loopback address whose port lies in `range`. */
export function isInManagedRange(hostUrl: string, range: { first: number; last: number }): boolean {
  let url: URL;
  try {
    url = new URL(hostUrl);
  } catch {
    return false;
  }
  if (!LOOPBACK.test(url.hostname)) return false;
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return port >= range.first && port <= range.last;
}

/** A configured host taken out because it is one of this server's own managed engines. */
export interface OwnHost {
  key: string;
  host: string;
  range: { first: number; last: number };
}

/**
 * The configuration with the configured hosts (`LLAMACPP_HOSTS`, `MLX_HOSTS`) that point into the
 * port range of an engine this server manages taken out: those models are the server's local
 * models already, and listing them again as a discovered host would show each one twice. Engines
 * the server does not manage keep all their hosts.
 */
export function withoutOwnManagedHosts(config: ServerConfig): { config: ServerConfig; dropped: OwnHost[] } {
  const dropped: OwnHost[] = [];
  const values: Record<string, unknown> = { ...config.values };
  for (const spec of engineSpecs()) {
    const hosts = config.values[spec.keys.hosts];
    if (!wantsManaged(config, spec) || !hosts) continue;
    const range = managedPortRange(config, spec);
    const kept = hosts.filter((host) => {
      const own = isInManagedRange(host, range);
      if (own) dropped.push({ key: spec.keys.hosts, host, range });
      return !own;
    });
    values[spec.keys.hosts] = kept;
  }
  return dropped.length === 0
    ? { config, dropped }
    : { config: { ...config, values: values as ServerConfig['values'] }, dropped };
}
