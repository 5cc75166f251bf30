import { ENGINE_NAMES, type EngineName, parseEngineName } from '../../engines/specs/engine-name.js';

/** The `<engine>` argument of `engines ...` commands; `llama.cpp` and `llama_cpp` mean `llama-cpp`. */
export function engineArg(value: string): EngineName {
  const name = parseEngineName(value);
  if (!name) throw new Error(`unknown engine "${value}" (use ${ENGINE_NAMES.join(' or ')})`);
  return name;
}

/** Help text of the `<engine>` argument. */
export const ENGINE_ARG_HELP = ENGINE_NAMES.join(' or ');
