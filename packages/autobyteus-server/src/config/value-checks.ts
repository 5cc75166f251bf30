import type { SettingValue } from 'autobyteus';
import type { ConfigEnvName } from './config-keys.js';
import { parseCorsOrigins } from './cors-origins.js';
import { parseRpcServers } from './rpc-servers.js';

/**
 * Checks some server keys need beyond their type, run on the parsed value by loadServerConfig (so
 * `config check` and `serve` refuse the same values). Each returns the value to keep, or throws
 * ValueRejected saying what was expected.
 */
export const VALUE_CHECKS: Partial<Record<ConfigEnvName, (value: SettingValue) => SettingValue>> = {
  LLAMACPP_RPC_SERVERS: (value) => parseRpcServers(value as string[]),
  AUTOBYTEUS_CORS_ORIGINS: (value) => parseCorsOrigins(value as string[]),
};
