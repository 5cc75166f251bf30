import { canonicalModelName, type LLMFactory, type LocalRuntime } from 'autobyteus';
import { ENGINE_SPECS } from '../engines/specs/engine-spec.js';
import { withoutLocalDetails } from '../http/openai-error.js';
import { printable } from '../http/untrusted-text.js';
import type { ModelServer } from '../serving/model-server.js';
import type { ServableModel } from '../serving/servable-models.js';
import type { ModelState } from '../serving/served-model-view.js';
import { type ModelDetailView, type ProviderView, type ProviderWithModelsView, sortModels } from './provider-views.js';

/** Provider ids of the server's own on-demand models start with this, then the runtime. */
const LOCAL_PREFIX = 'local:';

/** The provider id of this server's own models of one runtime, e.g. `local:llama_cpp`. */
export function localProviderId(runtime: LocalRuntime): string {
  return `${LOCAL_PREFIX}${runtime}`;
}

/** The runtime a `local:` provider id names, if it is one. */
export function runtimeOfLocalProviderId(id: string): string | undefined {
  return id.startsWith(LOCAL_PREFIX) ? id.slice(LOCAL_PREFIX.length) : undefined;
}

type LocalEntry = { model: ServableModel; state: ModelState; reason?: string };

/**
 * The models this server runs itself (GGUF files and MLX repos on disk, loaded on their first
 * request), one provider per engine that has any, read fresh from disk like `GET /api/models`'s
 * `local` list. They are addressed through this server's own `/v1` by id, so they have no host URL.
 */
export async function localProviders(
  factory: LLMFactory,
  models: ModelServer | undefined,
  runtimes: readonly LocalRuntime[],
): Promise<ProviderWithModelsView[]> {
  if (!models) return [];
  const entries = await models.list();
  const contextOf = new Map(models.ps().map((p) => [p.id, p.contextSize]));
  const providerTypes = new Map(factory.getRuntimes().map((d) => [d.runtime, d.provider as string]));
  const out: ProviderWithModelsView[] = [];
  for (const spec of Object.values(ENGINE_SPECS)) {
    if (!runtimes.includes(spec.runtime)) continue;
    const own = entries.filter((entry) => entry.model.engine === spec.name);
    if (own.length === 0) continue;
    const loaded = own.filter((entry) => entry.state === 'loaded').length;
    const failed = own.filter((entry) => entry.state === 'failed').length;
    const provider: ProviderView = {
      id: localProviderId(spec.runtime),
      name: `${spec.displayName} on this server (on demand)`,
      providerType: providerTypes.get(spec.runtime) ?? spec.runtime,
      isCustom: false,
      baseUrl: null,
      apiKeyConfigured: false,
      credentialStatus: null,
      // The listing is read from disk now, so it is current; a model that failed to load is its own entry.
      status: 'READY',
      statusMessage: `${own.length} models on disk, ${loaded} loaded${failed ? `, ${failed} failed to load` : ''}; each loads on its first request`,
    };
    out.push({
      provider,
      models: sortModels(
        own.map((entry) => localModelDetail(entry, provider, spec.runtime, contextOf.get(entry.model.id))),
      ),
    });
  }
  return out;
}

const STATE_TEXT: Record<ModelState, string> = {
  loaded: 'loaded',
  loading: 'loading',
  available: 'on disk; loads on its first request',
  failed: 'failed to load',
};

function localModelDetail(
  entry: LocalEntry,
  provider: ProviderView,
  runtime: LocalRuntime,
  activeContext: number | undefined,
): ModelDetailView {
  const { model, state, reason } = entry;
  const why = state === 'failed' && reason ? `: ${withoutLocalDetails(reason)}` : '';
  const aliases = model.names.length > 1 ? `; also answers to ${model.names.slice(1).join(', ')}` : '';
  const trained = model.trainedContext ?? null;
  return {
    modelIdentifier: model.id,
    name: model.id,
    description: printable(`${STATE_TEXT[state]}${why}${aliases}`, 300),
    value: model.id,
    canonicalName: canonicalModelName(model.id),
    providerId: provider.id,
    providerName: provider.name,
    providerType: provider.providerType,
    runtime,
    hostUrl: null,
    configSchema: null,
    // Read from the GGUF header (or the MLX config) on disk, not from a curated table.
    maxContextTokens: trained,
    activeContextTokens: activeContext ?? null,
    maxInputTokens: null,
    maxOutputTokens: null,
    metadataProvenance: trained !== null || activeContext !== undefined ? 'LIVE' : null,
  };
}
