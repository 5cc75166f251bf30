import type { LLMModel } from 'autobyteus';

/** A model as the admin API and `models list --json` show it (the chat template is left out: it is long). */
export function modelView(m: LLMModel) {
  const { chatTemplate: _template, ...metadata } = m.metadata;
  return {
    identifier: m.modelIdentifier,
    name: m.name,
    runtime: m.runtime,
    provider: m.provider,
    host: m.hostUrl,
    availability: m.availability,
    stale: m.stale,
    config: m.defaultConfig,
    metadata,
  };
}
