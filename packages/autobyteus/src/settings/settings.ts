import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { LLMRuntime, type LocalRuntime } from '../llm/llm-runtime.js';
import type { Logger } from '../logging/logger.js';
import { parseHostList } from './host-url.js';

/** Where and how to reach one runtime's hosts. */
export interface RuntimeSettings {
  enabled: boolean;
  hosts: string[];
  /** Sent as `Authorization: Bearer <key>`. Never logged. */
  apiKey?: string;
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
  /** Longest silence allowed while waiting for response headers or between stream chunks. */
  idleTimeoutMs: number;
  /** Upper bound for a whole chat request, streamed or not. 0 disables it. */
  requestTimeoutMs: number;
  /** Hugging Face hub cache folder scanned for MLX models. */
  huggingFaceCacheDir: string;
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
  /** The rollout flag: turns on llama.cpp and MLX at their default hosts even when no hosts are set. */
  localEngines?: boolean;
  discoveryTimeoutMs?: number;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
  requestTimeoutMs?: number;
  huggingFaceCacheDir?: string;
}

export const DEFAULT_HOSTS: Record<LocalRuntime, string> = {
  [LLMRuntime.LLAMA_CPP]: 'http://localhost:8000',
  [LLMRuntime.MLX]: 'http://localhost:8001',
  [LLMRuntime.LMSTUDIO]: 'http://localhost:1234',
  [LLMRuntime.OLLAMA]: 'http://localhost:11434',
};

export const DEFAULT_TIMEOUTS = {
  discoveryTimeoutMs: 3000,
  connectTimeoutMs: 3000,
  idleTimeoutMs: 60_000,
  requestTimeoutMs: 600_000,
} as const;

/** Every environment key the library understands, with its meaning (README and `config check` use it). */
export const SETTINGS_ENV_KEYS = {
  LLAMACPP_HOSTS: 'comma-separated llama-server base URLs (default http://localhost:8000)',
  LLAMACPP_HEALTHCHECK: 'probe /health before listing llama.cpp models (default true)',
  LLAMACPP_API_KEY: 'API key for llama-server --api-key (sent as a bearer token)',
  MLX_HOSTS: 'comma-separated mlx_lm.server base URLs (default http://localhost:8001)',
  LMSTUDIO_HOSTS: 'comma-separated LM Studio base URLs (default http://localhost:1234; empty disables)',
  LMSTUDIO_API_KEY: 'API key for LM Studio, when it requires one',
  OLLAMA_HOSTS: 'comma-separated Ollama base URLs (default http://localhost:11434; empty disables)',
  AUTOBYTEUS_LOCAL_ENGINES: 'true turns on llama.cpp and MLX at their default hosts (default false)',
  AUTOBYTEUS_DISCOVERY_TIMEOUT_MS: 'bound for probing one host during discovery (default 3000)',
  AUTOBYTEUS_CONNECT_TIMEOUT_MS: 'TCP connect bound for every request (default 3000)',
  AUTOBYTEUS_IDLE_TIMEOUT_MS: 'longest silence before headers or between stream chunks (default 60000)',
  AUTOBYTEUS_REQUEST_TIMEOUT_MS: 'bound for a whole chat request, 0 for none (default 600000)',
  HF_HUB_CACHE: 'Hugging Face hub cache scanned for MLX models (default $HF_HOME/hub)',
  HF_HOME: 'Hugging Face home folder (default ~/.cache/huggingface)',
} as const;

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

const booleanText = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off']))
  .transform((value) => ['true', '1', 'yes', 'on'].includes(value));
const nonNegativeIntText = z.string().trim().regex(/^\d+$/).transform(Number);

function readEnv<T>(env: NodeJS.ProcessEnv, key: string, schema: z.ZodType<T>, expected: string): T | undefined {
  const raw = env[key];
  if (raw === undefined || raw.trim() === '') return undefined;
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new SettingsError(key, raw, expected);
  return parsed.data;
}

/** Reads the library's settings from environment variables (`process.env` by default). */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): SettingsInput {
  const input: SettingsInput = {};
  const hosts = (key: string) => env[key];
  const set = <K extends keyof SettingsInput>(key: K, value: SettingsInput[K] | undefined) => {
    if (value !== undefined) input[key] = value;
  };
  set('llamaCppHosts', hosts('LLAMACPP_HOSTS'));
  set('mlxHosts', hosts('MLX_HOSTS'));
  set('lmStudioHosts', hosts('LMSTUDIO_HOSTS'));
  set('ollamaHosts', hosts('OLLAMA_HOSTS'));
  set('llamaCppApiKey', env.LLAMACPP_API_KEY || undefined);
  set('lmStudioApiKey', env.LMSTUDIO_API_KEY || undefined);
  set('llamaCppHealthcheck', readEnv(env, 'LLAMACPP_HEALTHCHECK', booleanText, 'true or false'));
  set('localEngines', readEnv(env, 'AUTOBYTEUS_LOCAL_ENGINES', booleanText, 'true or false'));
  const ms = 'a whole number of milliseconds';
  set('discoveryTimeoutMs', readEnv(env, 'AUTOBYTEUS_DISCOVERY_TIMEOUT_MS', nonNegativeIntText, ms));
  set('connectTimeoutMs', readEnv(env, 'AUTOBYTEUS_CONNECT_TIMEOUT_MS', nonNegativeIntText, ms));
  set('idleTimeoutMs', readEnv(env, 'AUTOBYTEUS_IDLE_TIMEOUT_MS', nonNegativeIntText, ms));
  set('requestTimeoutMs', readEnv(env, 'AUTOBYTEUS_REQUEST_TIMEOUT_MS', nonNegativeIntText, ms));
  const hubCache = env.HF_HUB_CACHE || (env.HF_HOME ? join(env.HF_HOME, 'hub') : undefined);
  set('huggingFaceCacheDir', hubCache);
  return input;
}

const positiveMs = (key: string, value: number | undefined, fallback: number, allowZero = false): number => {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new SettingsError(key, String(value), allowZero ? 'a number >= 0' : 'a number > 0');
  }
  return value;
};

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
      return { enabled: enabledByDefault, hosts: enabledByDefault ? [DEFAULT_HOSTS[runtime]] : [] };
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
    },
    discoveryTimeoutMs: positiveMs(
      'AUTOBYTEUS_DISCOVERY_TIMEOUT_MS',
      input.discoveryTimeoutMs,
      DEFAULT_TIMEOUTS.discoveryTimeoutMs,
    ),
    connectTimeoutMs: positiveMs(
      'AUTOBYTEUS_CONNECT_TIMEOUT_MS',
      input.connectTimeoutMs,
      DEFAULT_TIMEOUTS.connectTimeoutMs,
    ),
    idleTimeoutMs: positiveMs('AUTOBYTEUS_IDLE_TIMEOUT_MS', input.idleTimeoutMs, DEFAULT_TIMEOUTS.idleTimeoutMs),
    requestTimeoutMs: positiveMs(
      'AUTOBYTEUS_REQUEST_TIMEOUT_MS',
      input.requestTimeoutMs,
      DEFAULT_TIMEOUTS.requestTimeoutMs,
      true,
    ),
    huggingFaceCacheDir: input.huggingFaceCacheDir ?? join(homedir(), '.cache', 'huggingface', 'hub'),
  };
}
