import type { LLMConfig } from '../llm/llm-config.js';
import type { LLMModel } from '../llm/llm-model.js';
import { LLMProvider } from '../llm/llm-provider.js';
import { LLMRuntime, type LocalRuntime } from '../llm/llm-runtime.js';
import { type LLMDependencies, OpenAICompatibleLLM } from '../llm/openai-compatible-llm.js';
import { LlamaCppLLM } from './llama-cpp-llm.js';
import { LlamaCppModelProvider } from './llama-cpp-model-provider.js';
import { LMStudioLLM } from './lmstudio-llm.js';
import { LMStudioModelProvider } from './lmstudio-model-provider.js';
import { MLXLLM } from './mlx-llm.js';
import { MLXModelProvider } from './mlx-model-provider.js';
import type { ModelProvider } from './model-provider.js';
import { OllamaLLM } from './ollama-llm.js';
import { OllamaModelProvider } from './ollama-model-provider.js';
import { OpenAICompatibleModelProvider } from './openai-compatible-model-provider.js';

export type LLMClass = new (
  model: LLMModel,
  config: LLMConfig | undefined,
  deps: LLMDependencies,
) => OpenAICompatibleLLM;

/**
 * One row per local runtime: who made it, how to discover its models, which client serves them.
 * Adding a runtime means adding a row (plus its thin provider and LLM class).
 */
export interface RuntimeDescriptor {
  runtime: LocalRuntime;
  provider: LLMProvider;
  /** Human name for logs and listings. */
  label: string;
  modelProvider: ModelProvider;
  llmClass: LLMClass;
  /**
   * OpenAI/Anthropic endpoints beyond chat completions the engine serves itself, so a gateway can
   * pass requests for them through (`/v1/embeddings` on llama-server needs `--embeddings`).
   */
  endpoints: readonly ForwardedEndpoint[];
  /**
   * The engine's chat stream is already what OpenAI clients read (reasoning as `reasoning_content`,
   * usage when asked, `[DONE]`), so a gateway may relay its bytes instead of re-encoding each token.
   */
  chatStreamPassThrough?: boolean;
}

/** Endpoints a gateway may forward to an engine as they are. */
export type ForwardedEndpoint =
  | '/v1/completions'
  | '/v1/embeddings'
  | '/v1/responses'
  | '/v1/messages'
  | '/v1/messages/count_tokens'
  | '/v1/rerank';

export function defaultRuntimeTable(): RuntimeDescriptor[] {
  return [
    {
      runtime: LLMRuntime.LLAMA_CPP,
      provider: LLMProvider.LLAMA_CPP,
      label: 'llama.cpp (llama-server)',
      modelProvider: new LlamaCppModelProvider(),
      llmClass: LlamaCppLLM,
      endpoints: [
        '/v1/completions',
        '/v1/embeddings',
        '/v1/responses',
        '/v1/messages',
        '/v1/messages/count_tokens',
        '/v1/rerank',
      ],
      chatStreamPassThrough: true,
    },
    {
      runtime: LLMRuntime.MLX,
      provider: LLMProvider.MLX,
      label: 'MLX (mlx_lm.server)',
      modelProvider: new MLXModelProvider(),
      llmClass: MLXLLM,
      // mlx_lm.server 0.32: chat and text completions only.
      endpoints: ['/v1/completions'],
    },
    {
      runtime: LLMRuntime.LMSTUDIO,
      provider: LLMProvider.LMSTUDIO,
      label: 'LM Studio',
      modelProvider: new LMStudioModelProvider(),
      llmClass: LMStudioLLM,
      endpoints: ['/v1/completions', '/v1/embeddings', '/v1/responses'],
    },
    {
      runtime: LLMRuntime.OLLAMA,
      provider: LLMProvider.OLLAMA,
      label: 'Ollama',
      modelProvider: new OllamaModelProvider(),
      llmClass: OllamaLLM,
      endpoints: ['/v1/completions', '/v1/embeddings'],
    },
    {
      runtime: LLMRuntime.OPENAI_COMPATIBLE,
      provider: LLMProvider.OPENAI_COMPATIBLE,
      label: 'OpenAI-compatible server',
      modelProvider: new OpenAICompatibleModelProvider(),
      // Nothing engine-specific to add: the request goes out exactly as the OpenAI API defines it.
      llmClass: OpenAICompatibleLLM,
      endpoints: ['/v1/completions', '/v1/embeddings', '/v1/responses'],
    },
  ];
}
