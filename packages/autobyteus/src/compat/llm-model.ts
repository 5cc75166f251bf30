import type { LLMModel as CoreLLMModel } from '../llm/llm-model.js';
import type { LLMProvider } from '../llm/llm-provider.js';
import type { LLMRuntime } from '../llm/llm-runtime.js';
import { LLMConfig } from './llm-config.js';
import { compatIdentifierOf } from './model-identifier.js';
import { type ModelInfo, toModelInfo } from './model-info.js';
import { providerDisplayName } from './provider-names.js';

/**
 * A registered model as autobyteus-ts's `LLMModel` reads (`llm.model` of a created LLM): names,
 * provider, runtime, host, the identifier in the `name:runtime@host` form and the context sizes its
 * token budget uses. A read-only view of one of our models; `core` is that model.
 */
export class LLMModel {
  readonly name: string;
  readonly value: string;
  readonly canonicalName: string;
  readonly provider: LLMProvider;
  readonly providerId: string;
  readonly providerName: string;
  readonly runtime: LLMRuntime;
  readonly hostUrl: string;
  readonly modelIdentifier: string;
  /** The most the model was trained for (llama.cpp `n_ctx_train`), else the served window. */
  readonly maxContextTokens: number | null;
  /** The window one request gets on this host (llama.cpp: per slot), when the engine says. */
  readonly activeContextTokens: number | null;
  readonly maxInputTokens: number | null = null;
  readonly maxOutputTokens: number | null = null;
  readonly defaultCompactionRatio = 0.8;
  readonly defaultSafetyMarginTokens = 256;
  readonly defaultConfig: LLMConfig;

  constructor(readonly core: CoreLLMModel) {
    this.name = core.name;
    this.value = core.value;
    this.canonicalName = core.canonicalName;
    this.provider = core.provider;
    this.providerId = String(core.provider);
    this.providerName = providerDisplayName(core.provider);
    this.runtime = core.runtime;
    this.hostUrl = core.hostUrl;
    this.modelIdentifier = compatIdentifierOf(core);
    const info = toModelInfo(core);
    this.maxContextTokens = info.max_context_tokens;
    this.activeContextTokens = info.active_context_tokens;
    this.defaultConfig = new LLMConfig({ tokenLimit: this.activeContextTokens });
  }

  toModelInfo(): ModelInfo {
    return toModelInfo(this.core);
  }
}
