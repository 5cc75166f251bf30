import { LLMProvider } from '../llm/llm-provider.js';
import { LLMRuntime } from '../llm/llm-runtime.js';
import type { HostDiscovery, ModelProvider, ProbeContext } from './model-provider.js';
import { listOpenAIModels, modelsFromOpenAIList } from './openai-model-list.js';

/**
 * Discovers a generic OpenAI-compatible upstream (vLLM, llama-swap, LiteLLM, LocalAI, a KubeAI endpoint)
 * by `GET /v1/models` alone: nothing engine-specific is assumed, so any server speaking the API joins.
 * A 401/403 there makes the host `unauthorized`.
 */
export class OpenAICompatibleModelProvider implements ModelProvider {
  readonly runtime = LLMRuntime.OPENAI_COMPATIBLE;

  async discover(ctx: ProbeContext): Promise<HostDiscovery> {
    const entries = await listOpenAIModels(ctx, this.runtime);
    return {
      status: 'up',
      warnings: [],
      models: modelsFromOpenAIList(ctx, entries, this.runtime, LLMProvider.OPENAI_COMPATIBLE),
    };
  }
}
