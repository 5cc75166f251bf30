import type { LLMModel as CoreLLMModel } from '../llm/llm-model.js';
import type { LLMRuntime } from '../llm/llm-runtime.js';

/**
 * autobyteus-ts's identifier for a model on a host: `name:runtime@host`, where host is the URL's
 * `host` — a default port is left out (`https://example.com:443` → `example.com`), any other kept
 * (`http://localhost:8080` → `localhost:8080`). Our own identifiers always carry the port
 * (`name:runtime@host:port`); {@link LLMFactory} accepts both and lists this form.
 */
export function compatModelIdentifier(name: string, runtime: LLMRuntime | string, hostUrl: string): string {
  return `${name}:${runtime.toLowerCase()}@${new URL(hostUrl).host}`;
}

/** The compat identifier of one of our registered models. */
export function compatIdentifierOf(model: CoreLLMModel): string {
  return compatModelIdentifier(model.name, model.runtime, model.hostUrl);
}
