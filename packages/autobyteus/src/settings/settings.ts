import { homedir } from 'node:os';
import { join } from 'node:path';
import { LLMRuntime, type LocalRuntime } from '../llm/llm-runtime.js';
import type { Logger } from '../logging/logger.js';
import { parseDnsServers } from './dns-servers.js';
import { parseHostKeys } from './host-keys.js';
import { parseHostList } from './host-url.js';
import { parseSettingValue, type SettingValue, ValueRejected } from './parse-setting-value.js';
import {
  LIBRARY_SETTINGS,
  type LibrarySettingDefinition,
  type LibrarySettingEnv,
  librarySetting,
  type SettingDefinition,
} from './setting-definitions.js';

/** Where and how to reach one runtime's hosts. */
export interface RuntimeSettings {
  enabled: boolean;
  hosts: string[];
  /** Sent as `Authorization: Bearer <key>` to hosts without a key of their own. Never logged. */
  apiKey?: string;
  /**
   * Keys of single hosts, by normalised host entry (a `dns+` entry's key covers the addresses it resolves
   * to); they win over `apiKey`. Read them through `apiKeyFor`. Never logged.
   */
  apiKeys?: Readonly<Record<string, string>>;
  /** llama.cpp: probe `/health` (and wait out 503 "loading") before listing models. */
  healthcheck: boolean;
}

/** The resolved, validated settings every part of the library reads. Nothing else reads the environment. */
export interface AutobyteusSettings {
  runtimes: Record<LocalRuntime, RuntimeSettings>;
  /** Upper bound for probing one host during discovery. */
  discoveryTimeoutMs: number;
  /** TCP (and TLS) connect bound for every request. */
  connectTimeoutMs: number;
  /**
   * Longest wait for an engine to start answering (response headers): a request queued for a free
   * slot, or a long prompt being read, is waiting, not silent.
   */
  queueTimeoutMs: number;
  /** Longest silence between body chunks once the engine has started answering. */
  idleTimeoutMs: number;
  /** Upper bound for a whole chat request, streamed or not. 0 disables it. */
  requestTimeoutMs: number;
  /** Hugging Face hub cache folder scanned for MLX models. */
  huggingFaceCacheDir: string;
  /** DNS servers (`ip[:port]`) that resolve `dns+http://` host entries; empty = the system's resolvers. */
  dnsServers: string[];
}

/**
 * Settings as a caller (or the server) hands them over. Host lists take a comma-separated string
 * or an array; every field is optional and falls back to the documented default.
 */
export interface SettingsInput {
  llamaCppHosts?: string | string[];
  llamaCppHealthcheck?: boolean;
  llamaCppApiKey?: string;
  mlxHosts?: string | string[];
  lmStudioHosts?: string | string[];
  lmStudioApiKey?: string;
  ollamaHosts?: string | string[];
  /** Other OpenAI-compatible servers (vLLM, llama-swap, LiteLLM, LocalAI); none by default. */
  openAICompatibleHosts?: string | string[];
  openAICompatibleApiKey?: string;
  /** Per-host keys: `host=key,host2=key2`, a list of such pairs, or `{ host: key }`. */
  openAICompatibleApiKeys?: string | string[] | Record<string, string>;
  /** DNS servers for `dns+http://` entries: `ip[:port],...` or a list. */
  dnsServers?: string | string[];
  /** The rollout flag: turns on llama.cpp and MLX at their default hosts even when no hosts are set. */
  localEngines?: boolean;
  discoveryTimeoutMs?: number;
  connectTimeoutMs?: number;
  queueTimeoutMs?: number;
  idleTimeoutMs?: number;
  requestTimeoutMs?: number;
  huggingFaceCacheDir?: string;
}

/** Where a runtime is looked for when its hosts are not set (runtimes without a default are off then). */
export const DEFAULT_HOSTS: Partial<Record<LocalRuntime, string>> = {
  [LLMRuntime.LLAMA_CPP]: 'http://localhost:8000',
  [LLMRuntime.MLX]: 'http://localhost:8001',
  [LLMRuntime.LMSTUDIO]: 'http://localhost:1234',
  [LLMRuntime.OLLAMA]: 'http://localhost:11434',
};

/** Defaults of the timeouts, from the settings table. */
export const DEFAULT_TIMEOUTS = {
  discoveryTimeoutMs: defaultInt('AUTOBYTEUS_DISCOVERY_TIMEOUT_MS'),
  connectTimeoutMs: defaultInt('AUTOBYTEUS_CONNECT_TIMEOUT_MS'),
  queueTimeoutMs: defaultInt('AUTOBYTEUS_QUEUE_TIMEOUT_MS'),
  idleTimeoutMs: defaultInt('AUTOBYTEUS_IDLE_TIMEOUT_MS'),
  requestTimeoutMs: defaultInt('AUTOBYTEUS_REQUEST_TIMEOUT_MS'),
} as const;

/** Every environment key the library understands, with its meaning (README and `config check` use it). */
export const SETTINGS_ENV_KEYS: Record<LibrarySettingEnv, string> = Object.fromEntries(
  LIBRARY_SETTINGS.map((row) => [row.env, row.description]),
) as Record<LibrarySettingEnv, string>;

function defaultInt(env: LibrarySettingEnv): number {
  return Number(librarySetting(env).default);
}

/** The hub cache folder: HF_HUB_CACHE, else $HF_HOME/hub, else undefined (the caller's default applies). */
export function hubCacheFrom(hfHubCache: string | undefined, hfHome: string | undefined): string | undefined {
  return hfHubCache || (hfHome ? join(hfHome, 'hub') : undefined);
}

/** A setting that could not be accepted; names the key, the value and what was expected. */
export class SettingsError extends Error {
  constructor(
    readonly key: string,
    readonly value: string,
    readonly expected: string,
  ) {
    super(`Invalid setting ${key}=${JSON.stringify(value)}: expected ${expected}`);
    this.name = 'SettingsError';
  }
}

/** Reads the library's settings from environment variables (`process.env` by default). */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): SettingsInput {
  const input: Record<string, unknown> = {};
  for (const row of LIBRARY_SETTINGS as readonly LibrarySettingDefinition[]) {
    const raw = env[row.env];
    if (!row.input || raw === undefined) continue;
    // A host list keeps its text: empty turns the runtime off, bad entries are warned about and skipped.
    if (row.type === 'hosts') {
      input[row.input] = raw;
      continue;
    }
    if (raw.trim() === '') continue;
    input[row.input] = parseOrThrow(row, raw);
  }
  const hubCache = hubCacheFrom(env.HF_HUB_CACHE, env.HF_HOME);
  if (hubCache) input.huggingFaceCacheDir = hubCache;
  return input as SettingsInput;
}

function parseOrThrow(row: SettingDefinition, raw: unknown): SettingValue {
  try {
    return parseSettingValue(row, raw);
  } catch (error) {
    // A refused secret is not echoed: it may be the right key with a typo around it.
    if (error instanceof ValueRejected)
      throw new SettingsError(row.env, row.secret ? '(hidden)' : String(raw), error.message);
    throw error;
  }
}

/** Reads a structured input value with its setting's parser; a refusal becomes a `SettingsError` for `env`. */
function parsedOrThrow<T>(env: LibrarySettingEnv, raw: unknown, parse: (raw: unknown) => T): T {
  try {
    return parse(raw);
  } catch (error) {
    if (error instanceof ValueRejected) {
      throw new SettingsError(env, librarySetting(env).secret ? '(hidden)' : String(raw), error.message);
    }
    throw error;
  }
}

/** A timeout from the input, checked against its row's bounds; the row's default when absent. */
function timeout(env: LibrarySettingEnv, value: number | undefined): number {
  if (value === undefined) return defaultInt(env);
  return parseOrThrow(librarySetting(env), value) as number;
}

/**
 * Turns input (from `settingsFromEnv` or the caller) into validated settings. Invalid host URLs are
 * reported once through the logger and skipped; invalid numbers throw `SettingsError`.
 */
export function resolveSettings(input: SettingsInput = {}, logger?: Logger): AutobyteusSettings {
  const runtimeHosts = (
    key: string,
    runtime: LocalRuntime,
    value: string | string[] | undefined,
    enabledByDefault: boolean,
  ): { enabled: boolean; hosts: string[] } => {
    if (value === undefined) {
      const fallback = enabledByDefault ? DEFAULT_HOSTS[runtime] : undefined;
      return { enabled: fallback !== undefined, hosts: fallback ? [fallback] : [] };
    }
    const parsed = parseHostList(value);
    for (const bad of parsed.invalid) {
      logger?.warn({ setting: key, value: bad.value, reason: bad.reason }, `Skipping invalid host in ${key}`);
    }
    return { enabled: parsed.hosts.length > 0, hosts: parsed.hosts };
  };
  const localEngines = input.localEngines ?? false;
  const llama = runtimeHosts('LLAMACPP_HOSTS', LLMRuntime.LLAMA_CPP, input.llamaCppHosts, localEngines);
  const mlx = runtimeHosts('MLX_HOSTS', LLMRuntime.MLX, input.mlxHosts, localEngines);
  const lmStudio = runtimeHosts('LMSTUDIO_HOSTS', LLMRuntime.LMSTUDIO, input.lmStudioHosts, true);
  const ollama = runtimeHosts('OLLAMA_HOSTS', LLMRuntime.OLLAMA, input.ollamaHosts, true);
  const openAICompatible = runtimeHosts(
    'OPENAI_COMPATIBLE_HOSTS',
    LLMRuntime.OPENAI_COMPATIBLE,
    input.openAICompatibleHosts,
    false,
  );
  const keys = input.openAICompatibleApiKeys;
  const openAICompatibleKeys =
    keys === undefined ? undefined : parsedOrThrow('OPENAI_COMPATIBLE_API_KEYS', keys, parseHostKeys);
  return {
    runtimes: {
      [LLMRuntime.LLAMA_CPP]: {
        ...llama,
        apiKey: input.llamaCppApiKey,
        healthcheck: input.llamaCppHealthcheck ?? true,
      },
      [LLMRuntime.MLX]: { ...mlx, healthcheck: true },
      [LLMRuntime.LMSTUDIO]: { ...lmStudio, apiKey: input.lmStudioApiKey, healthcheck: true },
      [LLMRuntime.OLLAMA]: { ...ollama, healthcheck: true },
      [LLMRuntime.OPENAI_COMPATIBLE]: {
        ...openAICompatible,
        apiKey: input.openAICompatibleApiKey,
        apiKeys: openAICompatibleKeys,
        healthcheck: true,
      },
    },
    discoveryTimeoutMs: timeout('AUTOBYTEUS_DISCOVERY_TIMEOUT_MS', input.discoveryTimeoutMs),
    connectTimeoutMs: timeout('AUTOBYTEUS_CONNECT_TIMEOUT_MS', input.connectTimeoutMs),
    queueTimeoutMs: timeout('AUTOBYTEUS_QUEUE_TIMEOUT_MS', input.queueTimeoutMs),
    idleTimeoutMs: timeout('AUTOBYTEUS_IDLE_TIMEOUT_MS', input.idleTimeoutMs),
    requestTimeoutMs: timeout('AUTOBYTEUS_REQUEST_TIMEOUT_MS', input.requestTimeoutMs),
    huggingFaceCacheDir: input.huggingFaceCacheDir ?? join(homedir(), '.cache', 'huggingface', 'hub'),
    dnsServers:
      input.dnsServers === undefined ? [] : parsedOrThrow('AUTOBYTEUS_DNS_SERVERS', input.dnsServers, parseDnsServers),
  };
}
