import { LLMProvider } from '../llm/llm-provider.js';

/** How each provider is shown (`ModelInfo.provider_name`); the shared ones as autobyteus-ts shows them. */
const PROVIDER_NAMES: Record<LLMProvider, string> = {
  [LLMProvider.OPENAI]: 'OpenAI',
  [LLMProvider.ANTHROPIC]: 'Anthropic',
  [LLMProvider.OLLAMA]: 'Ollama',
  [LLMProvider.LMSTUDIO]: 'LM Studio',
  [LLMProvider.LLAMA_CPP]: 'llama.cpp',
  [LLMProvider.MLX]: 'MLX',
  [LLMProvider.OPENAI_COMPATIBLE]: 'OpenAI-Compatible',
};

export function providerDisplayName(provider: LLMProvider): string {
  return PROVIDER_NAMES[provider] ?? provider;
}
