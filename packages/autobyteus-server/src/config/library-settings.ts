import { hubCacheFrom, LIBRARY_SETTINGS, type LibrarySettingDefinition, type SettingsInput } from 'autobyteus';
import type { ServerConfig } from './server-config.js';

/**
 * The library's settings object built from the server configuration (the server never writes
 * process.env). Each library row names the `SettingsInput` field it fills, so nothing here lists keys.
 * Hosts of the managed engines this server runs come first, before the configured ones.
 */
export function toLibrarySettings(
  config: ServerConfig,
  extraHosts: { llamaCpp?: string[]; mlx?: string[] } = {},
): SettingsInput {
  const values = config.values as Record<string, unknown>;
  const input: Record<string, unknown> = {};
  for (const row of LIBRARY_SETTINGS as readonly LibrarySettingDefinition[]) {
    if (row.input && values[row.env] !== undefined) input[row.input] = values[row.env];
  }
  const join = (configured: unknown, extra: string[] | undefined) =>
    configured === undefined && !extra?.length ? undefined : [...(extra ?? []), ...((configured as string[]) ?? [])];
  input.llamaCppHosts = join(input.llamaCppHosts, extraHosts.llamaCpp);
  input.mlxHosts = join(input.mlxHosts, extraHosts.mlx);
  const hubCache = hubCacheFrom(config.values.HF_HUB_CACHE, config.values.HF_HOME);
  if (hubCache) input.huggingFaceCacheDir = hubCache;
  return input as SettingsInput;
}
