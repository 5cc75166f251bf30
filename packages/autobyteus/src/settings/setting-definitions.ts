/**
 * Every setting the library understands, declared once: environment name, place in the server's
 * config.toml, type, bounds, default and meaning. The library's own environment reading, its
 * validation and the server's configuration table (`config check`, `.env.example`, `serve`) all derive
 * from these rows, so they cannot disagree about what is valid.
 */
/**
 * How a setting's text is read. `duration` (`30s`, `5m`, `1h30m`; negative = never) becomes milliseconds,
 * -1 for never; `bytes` (`8GB`, `512MiB`) becomes a number of bytes. `host-keys` (`host=key,...` or a
 * TOML table) and `dns-servers` (`ip[:port],...`) are checked and kept as normalised text.
 */
export type SettingType =
  | 'string'
  | 'boolean'
  | 'int'
  | 'hosts'
  | 'path'
  | 'enum'
  | 'args'
  | 'duration'
  | 'bytes'
  | 'host-keys'
  | 'dns-servers';

export interface SettingDefinition {
  env: string;
  /** `section.key` in the server's config.toml. */
  toml: string;
  type: SettingType;
  /** Default as text, parsed like any other value; undefined = unset. */
  default?: string;
  /** Bounds of an `int`, inclusive. */
  min?: number;
  max?: number;
  /** What an `int` counts, for messages: "a whole number of milliseconds >= 1". */
  unit?: string;
  /** What to say is expected when a value is refused, where the type's own wording is not clear enough (int, duration, bytes). */
  expected?: string;
  secret?: boolean;
  values?: readonly string[];
  description: string;
}

/** A library setting: which `SettingsInput` field it fills (none for the two Hugging Face folders, combined). */
export interface LibrarySettingDefinition extends SettingDefinition {
  input?: string;
}

export const LIBRARY_SETTINGS = [
  {
    env: 'LLAMACPP_HOSTS',
    toml: 'llama_cpp.hosts',
    type: 'hosts',
    input: 'llamaCppHosts',
    description: 'llama-server base URLs (default http://localhost:8000 when enabled)',
  },
  {
    env: 'LLAMACPP_HEALTHCHECK',
    toml: 'llama_cpp.healthcheck',
    type: 'boolean',
    default: 'true',
    input: 'llamaCppHealthcheck',
    description: 'probe /health before listing llama.cpp models',
  },
  {
    env: 'LLAMACPP_API_KEY',
    toml: 'llama_cpp.api_key',
    type: 'string',
    secret: true,
    input: 'llamaCppApiKey',
    description: 'key for llama-server --api-key (sent as a bearer token)',
  },
  {
    env: 'MLX_HOSTS',
    toml: 'mlx.hosts',
    type: 'hosts',
    input: 'mlxHosts',
    description: 'mlx_lm.server base URLs (default http://localhost:8001 when enabled)',
  },
  {
    env: 'LMSTUDIO_HOSTS',
    toml: 'lmstudio.hosts',
    type: 'hosts',
    input: 'lmStudioHosts',
    description: 'LM Studio base URLs (default http://localhost:1234; empty turns it off)',
  },
  {
    env: 'LMSTUDIO_API_KEY',
    toml: 'lmstudio.api_key',
    type: 'string',
    secret: true,
    input: 'lmStudioApiKey',
    description: 'key for LM Studio, when it requires one',
  },
  {
    env: 'OLLAMA_HOSTS',
    toml: 'ollama.hosts',
    type: 'hosts',
    input: 'ollamaHosts',
    description: 'Ollama base URLs (default http://localhost:11434; empty turns it off)',
  },
  {
    env: 'OPENAI_COMPATIBLE_HOSTS',
    toml: 'openai_compatible.hosts',
    type: 'hosts',
    input: 'openAICompatibleHosts',
    description:
      'base URLs of other OpenAI-compatible servers (vLLM, llama-swap, LiteLLM, LocalAI), listed by /v1/models',
  },
  {
    env: 'OPENAI_COMPATIBLE_API_KEY',
    toml: 'openai_compatible.api_key',
    type: 'string',
    secret: true,
    input: 'openAICompatibleApiKey',
    description: 'key sent to every OpenAI-compatible host without a key of its own',
  },
  {
    env: 'OPENAI_COMPATIBLE_API_KEYS',
    toml: 'openai_compatible.api_keys',
    type: 'host-keys',
    secret: true,
    input: 'openAICompatibleApiKeys',
    description: 'per-host keys as host=key,host2=key2 (a dns+ entry covers every address it resolves to)',
  },
  {
    env: 'AUTOBYTEUS_DNS_SERVERS',
    toml: 'discovery.dns_servers',
    type: 'dns-servers',
    input: 'dnsServers',
    description: 'DNS servers for dns+http:// host entries, as ip[:port],... (default: the system resolvers)',
  },
  {
    env: 'AUTOBYTEUS_LOCAL_ENGINES',
    toml: 'discovery.local_engines',
    type: 'boolean',
    default: 'false',
    input: 'localEngines',
    description: 'turn on llama.cpp and MLX at their default hosts',
  },
  {
    env: 'AUTOBYTEUS_DISCOVERY_TIMEOUT_MS',
    toml: 'discovery.timeout_ms',
    type: 'int',
    default: '3000',
    min: 1,
    unit: 'milliseconds',
    input: 'discoveryTimeoutMs',
    description: 'bound for probing one host, in ms',
  },
  {
    env: 'AUTOBYTEUS_CONNECT_TIMEOUT_MS',
    toml: 'transport.connect_timeout_ms',
    type: 'int',
    default: '3000',
    min: 1,
    unit: 'milliseconds',
    input: 'connectTimeoutMs',
    description: 'TCP connect bound for every request, in ms',
  },
  {
    env: 'AUTOBYTEUS_QUEUE_TIMEOUT_MS',
    toml: 'transport.queue_timeout_ms',
    type: 'int',
    default: '300000',
    min: 1,
    unit: 'milliseconds',
    input: 'queueTimeoutMs',
    description: 'longest wait for an engine to start answering (a free slot, the prompt read), in ms',
  },
  {
    env: 'AUTOBYTEUS_IDLE_TIMEOUT_MS',
    toml: 'transport.idle_timeout_ms',
    type: 'int',
    default: '60000',
    min: 1,
    unit: 'milliseconds',
    input: 'idleTimeoutMs',
    description: 'longest silence between chunks once the engine has started answering, in ms',
  },
  {
    env: 'AUTOBYTEUS_REQUEST_TIMEOUT_MS',
    toml: 'transport.request_timeout_ms',
    type: 'int',
    default: '600000',
    min: 0,
    unit: 'milliseconds',
    input: 'requestTimeoutMs',
    description: 'bound for a whole chat request, in ms (0 = none)',
  },
  {
    env: 'HF_HOME',
    toml: 'huggingface.home',
    type: 'path',
    description: 'Hugging Face home (default ~/.cache/huggingface)',
  },
  {
    env: 'HF_HUB_CACHE',
    toml: 'huggingface.hub_cache',
    type: 'path',
    description: 'Hugging Face hub cache scanned for MLX models (default $HF_HOME/hub)',
  },
] as const satisfies readonly LibrarySettingDefinition[];

export type LibrarySettingEnv = (typeof LIBRARY_SETTINGS)[number]['env'];

/** The row of one library setting. */
export function librarySetting(env: LibrarySettingEnv): LibrarySettingDefinition {
  return LIBRARY_SETTINGS.find((row) => row.env === env) as LibrarySettingDefinition;
}
