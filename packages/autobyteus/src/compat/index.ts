// `autobyteus/compat`: the autobyteus-ts shaped surface of the library (static LLMFactory, BaseLLM,
// LLMUserMessage, response types, snake_case ModelInfo, `name:runtime@host` identifiers), built on the
// library's factory and transport. docs/autobyteus-compat.md maps autobyteus-ts names to ours.

export { LLMProvider } from '../llm/llm-provider.js';
export { LLMRuntime } from '../llm/llm-runtime.js';
export { UnknownModelError } from '../registry/llm-factory.js';
export { LLMError, RequestAbortedError } from '../transport/llm-errors.js';
export { BaseLLM, type LLMInvocationOptions } from './base-llm.js';
export {
  AmbiguousModelError,
  InvalidMediaSourceError,
  InvalidToolsError,
  UnsupportedMediaError,
} from './compat-errors.js';
export { LLMConfig, type LLMConfigInput, TokenPricingConfig, toCoreConfig } from './llm-config.js';
export { LLMExtension } from './llm-extension.js';
export { LLMFactory } from './llm-factory.js';
export { LLMModel } from './llm-model.js';
export { LocalEngineLLM } from './local-engine-llm.js';
export { MAX_IMAGE_BYTES } from './media-source.js';
export { acceptsImages, type MessageLike, renderMessages } from './message-renderer.js';
export {
  Message,
  type MessageOptions,
  MessageRole,
  ToolCallPayload,
  type ToolCallSpec,
  type ToolPayload,
  ToolResultPayload,
} from './messages.js';
export { compatIdentifierOf, compatModelIdentifier } from './model-identifier.js';
export { type ModelInfo, toModelInfo } from './model-info.js';
export { findModel } from './model-lookup.js';
export { providerDisplayName } from './provider-names.js';
export { parseRequestKwargs, type RequestKwargs } from './request-kwargs.js';
export { ChunkResponse, CompleteResponse } from './response-types.js';
export { type TokenUsage, TokenUsageSchema, toTokenUsage } from './token-usage.js';
export { type ToolCallDelta, toToolCallDelta } from './tool-call-delta.js';
export { LLMUserMessage, type LLMUserMessageData } from './user-message.js';
