/** Who serves a model: the engine (or remote API) that answers requests for it. */
export enum LLMRuntime {
  API = 'api',
  OLLAMA = 'ollama',
  LMSTUDIO = 'lmstudio',
  LLAMA_CPP = 'llama_cpp',
  MLX = 'mlx',
}

/** The runtimes this package discovers on hosts the user runs (everything but remote APIs). */
export type LocalRuntime = Exclude<LLMRuntime, LLMRuntime.API>;

export const LOCAL_RUNTIMES: readonly LocalRuntime[] = [
  LLMRuntime.OLLAMA,
  LLMRuntime.LMSTUDIO,
  LLMRuntime.LLAMA_CPP,
  LLMRuntime.MLX,
];

/** Parses a runtime name as it appears in identifiers and query strings (`llama_cpp`, `mlx`, ...). */
export function parseRuntime(value: string): LLMRuntime | undefined {
  const lowered = value.trim().toLowerCase();
  return (Object.values(LLMRuntime) as string[]).includes(lowered) ? (lowered as LLMRuntime) : undefined;
}
