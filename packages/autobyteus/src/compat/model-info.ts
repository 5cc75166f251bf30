import type { LLMModel as CoreLLMModel } from '../llm/llm-model.js';
import type { LLMProvider } from '../llm/llm-provider.js';
import { compatIdentifierOf } from './model-identifier.js';
import { providerDisplayName } from './provider-names.js';

/** A model as autobyteus-ts lists it (`LLMFactory.listAvailableModels()`), field for field. */
export interface ModelInfo {
  model_identifier: string;
  display_name: string;
  value: string;
  canonical_name: string;
  provider_id: string;
  provider_name: string;
  provider_type: LLMProvider;
  runtime: string;
  host_url?: string;
  /** JSON schema of per-model settings; our local models have none. */
  config_schema?: Record<string, unknown>;
  max_context_tokens: number | null;
  active_context_tokens: number | null;
  max_input_tokens: number | null;
  max_output_tokens: number | null;
}

/**
 * One of our registered models as a `ModelInfo`. Context sizes come from discovery: the trained
 * window is `max_context_tokens` (else the served one), the served window (llama.cpp: per slot) is
 * `active_context_tokens`; input/output caps are not reported by local engines, so `null`.
 */
export function toModelInfo(model: CoreLLMModel): ModelInfo {
  const facts = model.defaultConfig;
  return {
    model_identifier: compatIdentifierOf(model),
    display_name: model.name,
    value: model.value,
    canonical_name: model.canonicalName,
    provider_id: String(model.provider),
    provider_name: providerDisplayName(model.provider),
    provider_type: model.provider,
    runtime: model.runtime,
    host_url: model.hostUrl,
    config_schema: undefined,
    max_context_tokens: facts.trainedContextWindow ?? facts.contextWindow ?? null,
    active_context_tokens: facts.contextWindow ?? null,
    max_input_tokens: null,
    max_output_tokens: null,
  };
}
