import type { LLMFactory, LLMModel } from 'autobyteus';

/** `model` may be a full identifier, or a model name registered on exactly one host. */
export function resolveModel(factory: LLMFactory, requested: string): LLMModel | undefined {
  const exact = factory.getModel(requested);
  if (exact) return exact;
  const byName = factory.listAvailableModels().filter((m) => m.name === requested);
  return byName.length === 1 ? byName[0] : undefined;
}
