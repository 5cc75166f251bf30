import type { LLMConfig as CoreLLMConfig } from '../llm/llm-config.js';

/** Per-token prices (autobyteus-ts cost tracking); local engines cost nothing, so both default to 0. */
export class TokenPricingConfig {
  inputTokenPricing: number;
  outputTokenPricing: number;

  constructor(data: { inputTokenPricing?: number; outputTokenPricing?: number } = {}) {
    this.inputTokenPricing = data.inputTokenPricing ?? 0;
    this.outputTokenPricing = data.outputTokenPricing ?? 0;
  }
}

/** Constructor input of {@link LLMConfig}: every field optional. */
export interface LLMConfigInput {
  rateLimit?: number | null;
  tokenLimit?: number | null;
  systemMessage?: string;
  temperature?: number;
  maxTokens?: number | null;
  compactionRatio?: number | null;
  safetyMarginTokens?: number | null;
  topP?: number | null;
  frequencyPenalty?: number | null;
  presencePenalty?: number | null;
  stopSequences?: string[] | null;
  extraParams?: Record<string, unknown>;
  pricingConfig?: TokenPricingConfig | { inputTokenPricing?: number; outputTokenPricing?: number };
}

/** Fields that `mergeWith` copies when the override has a value. */
const MERGED_FIELDS = [
  'rateLimit',
  'tokenLimit',
  'systemMessage',
  'temperature',
  'maxTokens',
  'compactionRatio',
  'safetyMarginTokens',
  'topP',
  'frequencyPenalty',
  'presencePenalty',
  'stopSequences',
] as const;

/**
 * autobyteus-ts's generation config: camelCase fields with its defaults (temperature 0.7, a system
 * message). Only the sampling fields, `maxTokens`, `stopSequences` and `extraParams` reach the engine
 * (see {@link toCoreConfig}); the rest (limits, compaction, pricing) are for the caller's own use.
 * Any object with these field names is accepted where an `LLMConfig` is expected.
 */
export class LLMConfig {
  rateLimit: number | null;
  tokenLimit: number | null;
  systemMessage: string;
  temperature: number;
  maxTokens: number | null;
  compactionRatio: number | null;
  safetyMarginTokens: number | null;
  topP: number | null;
  frequencyPenalty: number | null;
  presencePenalty: number | null;
  stopSequences: string[] | null;
  extraParams: Record<string, unknown>;
  pricingConfig: TokenPricingConfig;

  constructor(data: LLMConfigInput = {}) {
    this.rateLimit = data.rateLimit ?? null;
    this.tokenLimit = data.tokenLimit ?? null;
    this.systemMessage = data.systemMessage ?? 'You are a helpful assistant.';
    this.temperature = data.temperature ?? 0.7;
    this.maxTokens = data.maxTokens ?? null;
    this.compactionRatio = data.compactionRatio ?? null;
    this.safetyMarginTokens = data.safetyMarginTokens ?? null;
    this.topP = data.topP ?? null;
    this.frequencyPenalty = data.frequencyPenalty ?? null;
    this.presencePenalty = data.presencePenalty ?? null;
    this.stopSequences = data.stopSequences ? [...data.stopSequences] : null;
    this.extraParams = { ...data.extraParams };
    this.pricingConfig = new TokenPricingConfig(data.pricingConfig ?? {});
  }

  static defaultConfig(): LLMConfig {
    return new LLMConfig();
  }

  /** An `LLMConfig` from any object with its field names (an autobyteus-ts config included). */
  static from(value: LLMConfig | LLMConfigInput): LLMConfig {
    return value instanceof LLMConfig ? value : new LLMConfig(value);
  }

  /** Takes every field the override sets (not null/undefined); extra params are merged key by key. */
  mergeWith(override: LLMConfig | LLMConfigInput | null | undefined): void {
    if (!override) return;
    const target = this as unknown as Record<string, unknown>;
    for (const field of MERGED_FIELDS) {
      const value = override[field];
      if (value !== null && value !== undefined) target[field] = Array.isArray(value) ? [...value] : value;
    }
    if (override.extraParams) this.extraParams = { ...this.extraParams, ...override.extraParams };
    if (override.pricingConfig) this.pricingConfig = new TokenPricingConfig(override.pricingConfig);
  }

  clone(): LLMConfig {
    return new LLMConfig(this);
  }
}

/** The part of a config our transport sends: sampling, length, stop sequences, extra request fields. */
export function toCoreConfig(config: LLMConfig): CoreLLMConfig {
  const core: CoreLLMConfig = { temperature: config.temperature };
  if (config.topP !== null) core.topP = config.topP;
  if (config.maxTokens !== null) core.maxTokens = config.maxTokens;
  if (config.stopSequences?.length) core.stop = [...config.stopSequences];
  if (config.frequencyPenalty !== null) core.frequencyPenalty = config.frequencyPenalty;
  if (config.presencePenalty !== null) core.presencePenalty = config.presencePenalty;
  if (Object.keys(config.extraParams).length) core.extraParams = { ...config.extraParams };
  return core;
}
