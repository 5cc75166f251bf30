// Public API of the autobyteus LLM layer.
export { LLMRuntime, LOCAL_RUNTIMES, parseRuntime, type LocalRuntime } from './llm/llm-runtime.js';
export { LLMProvider } from './llm/llm-provider.js';
export { LLMModel, modelIdentifier, canonicalModelName, type LLMModelInit, type ModelAvailability, type ModelMetadata } from './llm/llm-model.js';
export { type LLMConfig, mergeConfig } from './llm/llm-config.js';
export { OpenAICompatibleLLM, type LLMDependencies } from './llm/openai-compatible-llm.js';

export {
  type AutobyteusSettings,
  type RuntimeSettings,
  type SettingsInput,
  DEFAULT_HOSTS,
  DEFAULT_TIMEOUTS,
  SETTINGS_ENV_KEYS,
  SettingsError,
  resolveSettings,
  settingsFromEnv,
} from './settings/settings.js';
export { normalizeHostUrl, parseHostList, hostPort } from './settings/host-url.js';

export { LLMFactory, UnknownModelError, type LLMFactoryOptions, type ReloadResult } from './registry/llm-factory.js';
export { ModelRegistry } from './registry/model-registry.js';
export { discoverHosts, type HostProbeReport, type DiscoveryOptions } from './discovery/host-discovery.js';
export { type HostHealth } from './discovery/host-health.js';
export { scanHuggingFaceCache, readMlxModelConfig, findCachedRepo, type LocalMlxModel } from './discovery/hf-cache-scanner.js';

export { defaultRuntimeTable, type RuntimeDescriptor, type LLMClass } from './runtimes/runtime-table.js';
export type { ModelProvider, ProbeContext, HostDiscovery, HostStatus } from './runtimes/model-provider.js';
export { LlamaCppModelProvider } from './runtimes/llama-cpp-model-provider.js';
export { MLXModelProvider } from './runtimes/mlx-model-provider.js';
export { LMStudioModelProvider } from './runtimes/lmstudio-model-provider.js';
export { OllamaModelProvider } from './runtimes/ollama-model-provider.js';
export { LlamaCppLLM } from './runtimes/llama-cpp-llm.js';
export { MLXLLM } from './runtimes/mlx-llm.js';
export { LMStudioLLM } from './runtimes/lmstudio-llm.js';
export { OllamaLLM } from './runtimes/ollama-llm.js';

export { OpenAICompatibleTransport, type TransportOptions } from './transport/openai-compatible-transport.js';
export { HttpClient, type HttpClientOptions } from './transport/http-client.js';
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
export {
  LLMError,
  EngineConnectionError,
  EngineTimeoutError,
  RequestAbortedError,
  EngineUnauthorizedError,
  EngineLoadingError,
  ContextOverflowError,
  ModelNotFoundError,
  EngineHttpError,
  EngineProtocolError,
  StreamInterruptedError,
  type LLMErrorKind,
  type RequestContext,
} from './transport/llm-errors.js';

export { type Logger, createDefaultLogger, silentLogger, REDACTED_PATHS } from './logging/logger.js';
