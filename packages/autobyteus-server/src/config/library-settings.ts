import type { SettingsInput } from 'autobyteus';
import type { ServerConfig } from './server-config.js';

/** The library's settings object built from the server configuration (the server never writes process.env). */
export function toLibrarySettings(
  config: ServerConfig,
  extraHosts: { llamaCpp?: string[]; mlx?: string[] } = {},
): SettingsInput {
  const v = config.values;
  const join = (configured: string[] | undefined, extra: string[] | undefined) =>
    configured === undefined && !extra?.length ? undefined : [...(extra ?? []), ...(configured ?? [])];
  const hfHubCache = v.HF_HUB_CACHE ?? (v.HF_HOME ? `${v.HF_HOME}/hub` : undefined);
  return {
    llamaCppHosts: join(v.LLAMACPP_HOSTS, extraHosts.llamaCpp),
    llamaCppHealthcheck: v.LLAMACPP_HEALTHCHECK,
    llamaCppApiKey: v.LLAMACPP_API_KEY,
    mlxHosts: join(v.MLX_HOSTS, extraHosts.mlx),
    lmStudioHosts: v.LMSTUDIO_HOSTS,
    lmStudioApiKey: v.LMSTUDIO_API_KEY,
    ollamaHosts: v.OLLAMA_HOSTS,
    localEngines: v.AUTOBYTEUS_LOCAL_ENGINES,
    discoveryTimeoutMs: v.AUTOBYTEUS_DISCOVERY_TIMEOUT_MS,
    connectTimeoutMs: v.AUTOBYTEUS_CONNECT_TIMEOUT_MS,
    idleTimeoutMs: v.AUTOBYTEUS_IDLE_TIMEOUT_MS,
    requestTimeoutMs: v.AUTOBYTEUS_REQUEST_TIMEOUT_MS,
    ...(hfHubCache ? { huggingFaceCacheDir: hfHubCache } : {}),
  };
}
