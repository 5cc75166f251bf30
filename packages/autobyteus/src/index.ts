// Public API of the autobyteus LLM layer.

export {
  createDnsResolver,
  expandHostEntries,
  type HostNameResolver,
  type HostTarget,
  isHostTarget,
  type UnresolvedEntry,
} from './discovery/dns-host-expansion.js';
export {
  findCachedRepo,
  type LocalMlxModel,
  readMlxModelConfig,
  scanHuggingFaceCache,
} from './discovery/hf-cache-scanner.js';
export { type DiscoveryOptions, discoverHosts, type HostProbeReport } from './discovery/host-discovery.js';
export type { HostHealth } from './discovery/host-health.js';
export { type LLMConfig, mergeConfig } from './llm/llm-config.js';
export {
  canonicalModelName,
  LLMModel,
  type LLMModelInit,
  type ModelAvailability,
  type ModelMetadata,
  modelIdentifier,
} from './llm/llm-model.js';
export { LLMProvider } from './llm/llm-provider.js';
export { LLMRuntime, LOCAL_RUNTIMES, type LocalRuntime, parseRuntime } from './llm/llm-runtime.js';
export { type LLMDependencies, OpenAICompatibleLLM } from './llm/openai-compatible-llm.js';
export { createDefaultLogger, type Logger, REDACTED_PATHS, silentLogger } from './logging/logger.js';
export { LLMFactory, type LLMFactoryOptions, type ReloadResult, UnknownModelError } from './registry/llm-factory.js';
export { ModelRegistry } from './registry/model-registry.js';
export { LlamaCppLLM } from './runtimes/llama-cpp-llm.js';
export { LlamaCppModelProvider } from './runtimes/llama-cpp-model-provider.js';
export { LMStudioLLM } from './runtimes/lmstudio-llm.js';
export { LMStudioModelProvider } from './runtimes/lmstudio-model-provider.js';
export { MLXLLM } from './runtimes/mlx-llm.js';
export { MLXModelProvider } from './runtimes/mlx-model-provider.js';
export type { HostDiscovery, HostStatus, ModelProvider, ProbeContext } from './runtimes/model-provider.js';
export { OllamaLLM } from './runtimes/ollama-llm.js';
export { OllamaModelProvider } from './runtimes/ollama-model-provider.js';
export { OpenAICompatibleModelProvider } from './runtimes/openai-compatible-model-provider.js';
export {
  defaultRuntimeTable,
  type ForwardedEndpoint,
  type LLMClass,
  type RuntimeDescriptor,
} from './runtimes/runtime-table.js';
export { BYTE_SIZE_EXPECTED, formatByteSize, parseByteSize } from './settings/byte-size.js';
export { DNS_SERVERS_EXPECTED, parseDnsServers } from './settings/dns-servers.js';
export { DURATION_EXPECTED, DURATION_NEVER, formatDuration, parseDuration } from './settings/duration.js';
export {
  apiKeyFor,
  formatHostKeys,
  HOST_KEYS_EXPECTED,
  type HostKeyLookup,
  parseHostKeys,
} from './settings/host-keys.js';
export { hostPort, isDnsHostEntry, normalizeHostUrl, parseHostList } from './settings/host-url.js';
export { parseSettingValue, type SettingValue, splitArgs, ValueRejected } from './settings/parse-setting-value.js';
export {
  LIBRARY_SETTINGS,
  type LibrarySettingDefinition,
  type LibrarySettingEnv,
  type SettingDefinition,
  type SettingType,
} from './settings/setting-definitions.js';
export {
  type AutobyteusSettings,
  DEFAULT_HOSTS,
  DEFAULT_TIMEOUTS,
  hubCacheFrom,
  type RuntimeSettings,
  resolveSettings,
  SETTINGS_ENV_KEYS,
  SettingsError,
  type SettingsInput,
  settingsFromEnv,
} from './settings/settings.js';
export { buildChatRequestBody, type ChatRequestBody } from './transport/chat-request.js';
export type {
  ChatMessage,
  ChatRequestOptions,
  ChatResponse,
  ChatStreamChunk,
  ContentPart,
  EngineTimings,
  TokenUsage,
  ToolCall,
  ToolCallDelta,
  ToolChoice,
  ToolDefinition,
} from './transport/chat-types.js';
export { HttpClient, type HttpClientOptions, HttpResponse } from './transport/http-client.js';
export {
  ContextOverflowError,
  EngineConnectionError,
  EngineHttpError,
  EngineLoadingError,
  EngineProtocolError,
  EngineTimeoutError,
  EngineUnauthorizedError,
  LLMError,
  type LLMErrorKind,
  ModelNotFoundError,
  RequestAbortedError,
  type RequestContext,
  StreamInterruptedError,
} from './transport/llm-errors.js';
export { OpenAICompatibleTransport, type TransportOptions } from './transport/openai-compatible-transport.js';
