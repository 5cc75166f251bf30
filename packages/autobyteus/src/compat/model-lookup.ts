import type { LLMModel as CoreLLMModel } from '../llm/llm-model.js';
import { UnknownModelError } from '../registry/llm-factory.js';
import { AmbiguousModelError } from './compat-errors.js';
import { compatIdentifierOf } from './model-identifier.js';

/**
 * Finds a registered model by what an autobyteus-ts caller may hold: our identifier
 * (`name:runtime@host:port`), the compat one (`name:runtime@host`, default port left out) or a bare
 * model name that only one host serves. Returns undefined when nothing matches; a name or compat
 * identifier that fits several models is an {@link AmbiguousModelError}.
 */
export function findModel(models: readonly CoreLLMModel[], identifier: string): CoreLLMModel | undefined {
  const exact = models.find((model) => model.modelIdentifier === identifier);
  if (exact) return exact;
  for (const matches of [
    models.filter((model) => compatIdentifierOf(model) === identifier),
    models.filter((model) => model.name === identifier),
  ]) {
    if (matches.length === 1) return matches[0];
    if (matches.length > 1)
      throw new AmbiguousModelError(
        identifier,
        matches.map((model) => model.modelIdentifier),
      );
  }
  return undefined;
}

/** {@link findModel}, or an `UnknownModelError` that lists the compat identifiers. */
export function requireModel(models: readonly CoreLLMModel[], identifier: string): CoreLLMModel {
  const model = findModel(models, identifier);
  if (!model) throw new UnknownModelError(identifier, models.map(compatIdentifierOf));
  return model;
}
