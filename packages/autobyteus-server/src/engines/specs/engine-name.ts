/**
 * The engines the server installs and runs itself. The name keys their folder under `engines/`,
 * their PID file, their log records and their row in {@link ENGINE_SPECS} (`engine-spec.ts`).
 * A leaf module: the manifest schema needs the names without the rest of the specs.
 */
export const ENGINE_NAMES = ['llama-cpp', 'mlx'] as const;

/** One managed engine's name. */
export type EngineName = (typeof ENGINE_NAMES)[number];

/** Parses an engine name as users type it (`llama-cpp`, `llama.cpp`, `llama_cpp`, `mlx`). */
export function parseEngineName(value: string): EngineName | undefined {
  const name = value === 'llama.cpp' || value === 'llama_cpp' ? 'llama-cpp' : value;
  return (ENGINE_NAMES as readonly string[]).includes(name) ? (name as EngineName) : undefined;
}
