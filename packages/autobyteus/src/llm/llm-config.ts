/**
 * Generation settings and engine facts for one model. Discovery fills the engine facts
 * (context window, quantization, ...) into a model's `defaultConfig`; callers override the
 * generation fields per LLM instance. Every generation field is forwarded to the engine.
 */
export interface LLMConfig {
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  stop?: string[];
  frequencyPenalty?: number;
  presencePenalty?: number;
  seed?: number;
  /** OpenAI `response_format`, e.g. `{ type: 'json_object' }` or a JSON schema. */
  responseFormat?: Record<string, unknown>;
  /** Any other request fields, sent as given (e.g. llama.cpp's `top_k`, `min_p`, `cache_prompt`). */
  extraParams?: Record<string, unknown>;
  /** Engine facts, known after discovery. Not sent with requests. */
  contextWindow?: number;
  trainedContextWindow?: number;
  quantization?: string;
  parameterCount?: number;
  sizeBytes?: number;
  gpuLayers?: number;
}

/** Combines configs left to right; later defined values win, `extraParams` are merged key by key. */
export function mergeConfig(...configs: Array<LLMConfig | undefined>): LLMConfig {
  const merged: LLMConfig = {};
  for (const config of configs) {
    if (!config) continue;
    for (const [key, value] of Object.entries(config) as Array<[keyof LLMConfig, unknown]>) {
      if (value === undefined) continue;
      if (key === 'extraParams') {
        merged.extraParams = { ...merged.extraParams, ...(value as Record<string, unknown>) };
      } else {
        (merged as Record<string, unknown>)[key] = value;
      }
    }
  }
  return merged;
}
