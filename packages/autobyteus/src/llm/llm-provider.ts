/**
 * Which provider family a model belongs to, as selectable in UIs and CLIs. For local engines the
 * provider is the engine itself; remote APIs keep their vendor name.
 */
export enum LLMProvider {
  OPENAI = 'OPENAI',
  ANTHROPIC = 'ANTHROPIC',
  OLLAMA = 'OLLAMA',
  LMSTUDIO = 'LMSTUDIO',
  LLAMA_CPP = 'LLAMA_CPP',
  MLX = 'MLX',
  /** A generic OpenAI-compatible upstream: the engine behind it is not known. */
  OPENAI_COMPATIBLE = 'OPENAI_COMPATIBLE',
}
