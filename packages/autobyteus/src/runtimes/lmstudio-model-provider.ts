import { LLMProvider } from '../llm/llm-provider.js';
import { LLMRuntime } from '../llm/llm-runtime.js';
import type { HostDiscovery, ModelProvider, ProbeContext } from './model-provider.js';
import { listOpenAIModels, modelsFromOpenAIList } from './openai-model-list.js';

/** Discovers LM Studio hosts through their OpenAI-compatible `/v1/models`. */
export class LMStudioModelProvider implements ModelProvider {
  readonly runtime = LLMRuntime.LMSTUDIO;

  async discover(ctx: ProbeContext): Promise<HostDiscovery> {
    const entries = await listOpenAIModels(ctx, this.runtime);
    return {
      status: 'up',
      warnings: [],
      models: modelsFromOpenAIList(ctx, entries, this.runtime, LLMProvider.LMSTUDIO),
    };
  }
}
