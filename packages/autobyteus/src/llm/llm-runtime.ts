/** Who serves a model: the engine (or remote API) that answers requests for it. */
export enum LLMRuntime {
  API = 'api',
  OLLAMA = 'ollama',
  LMSTUDIO = 'lmstudio',
  LLAMA_CPP = 'llama_cpp',
  MLX = 'mlx',
  /** Any other server speaking the OpenAI API (vLLM, llama-swap, LiteLLM, LocalAI, a KubeAI endpoint). */
  OPENAI_COMPATIBLE = 'openai_compatible',
}

/**
 * The runtimes this package discovers on hosts the user configures (everything but vendor APIs); such a
 * host may be another machine, e.g. an OpenAI-compatible upstream in a cluster.
 */
export type LocalRuntime = Exclude<LLMRuntime, LLMRuntime.API>;

export const LOCAL_RUNTIMES: readonly LocalRuntime[] = [
  LLMRuntime.OLLAMA,
  LLMRuntime.LMSTUDIO,
  LLMRuntime.LLAMA_CPP,
  LLMRuntime.MLX,
  LLMRuntime.OPENAI_COMPATIBLE,
];

/** Parses a runtime name as it appears in identifiers and query strings (`llama_cpp`, `mlx`, ...). */
export function parseRuntime(value: string): LLMRuntime | undefined {
  const lowered = value.trim().toLowerCase();
  return (Object.values(LLMRuntime) as string[]).includes(lowered) ? (lowered as LLMRuntime) : undefined;
}
