import type { GraphqlDeps, RuntimeKindArgs } from './graphql-deps.js';
import { hostProviders } from './host-providers.js';
import { localProviders } from './local-providers.js';
import { type ProviderWithModelsView, sortProviders } from './provider-views.js';
import { runtimesFor } from './runtime-kind.js';

/** Every provider (configured hosts and this server's own engines) with its models, for `runtimeKind`. */
export async function listLlmProviders(deps: GraphqlDeps, args: RuntimeKindArgs): Promise<ProviderWithModelsView[]> {
  const runtimes = runtimesFor(args.runtimeKind);
  if (runtimes.length === 0) return [];
  const local = await localProviders(deps.factory, deps.models, runtimes);
  return sortProviders([...hostProviders(deps.factory, runtimes), ...local]);
}

/** The four listing queries. Audio, image and video are empty: no engine of ours serves such models. */
export function providerQueryResolvers(deps: GraphqlDeps) {
  const none = async (): Promise<ProviderWithModelsView[]> => [];
  return {
    availableLlmProvidersWithModels: (_root: unknown, args: RuntimeKindArgs) => listLlmProviders(deps, args),
    availableAudioProvidersWithModels: none,
    availableImageProvidersWithModels: none,
    availableVideoProvidersWithModels: none,
  };
}
