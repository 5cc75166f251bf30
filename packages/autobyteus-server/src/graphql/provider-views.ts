/** The objects the GraphQL resolvers return, shaped like the schema's types (`schema.ts`). */

/** `CredentialStatusObject`: only for providers where a key applies (one is set, or the host wants one). */
export interface CredentialStatusView {
  backendHealth: 'READY';
  vaultHealth: 'READY';
  storageState: 'CONFIGURED' | 'MISSING';
  lifecycle: 'EXTERNALLY_MANAGED';
  instructionCode: null;
}

/** autobyteus-web colours READY green, STALE_ERROR amber and anything else red. */
export type ProviderStatus = 'READY' | 'STALE_ERROR' | 'ERROR';

/** `LlmProviderObject`. */
export interface ProviderView {
  id: string;
  name: string;
  providerType: string;
  isCustom: boolean;
  baseUrl: string | null;
  apiKeyConfigured: boolean;
  credentialStatus: CredentialStatusView | null;
  status: ProviderStatus;
  statusMessage: string | null;
}

/** `ModelDetail`: autobyteus-ts's ModelInfo fields in camelCase. */
export interface ModelDetailView {
  modelIdentifier: string;
  name: string;
  description: string | null;
  value: string;
  canonicalName: string;
  providerId: string;
  providerName: string;
  providerType: string;
  runtime: string;
  hostUrl: string | null;
  configSchema: Record<string, unknown> | null;
  maxContextTokens: number | null;
  activeContextTokens: number | null;
  maxInputTokens: number | null;
  maxOutputTokens: number | null;
  metadataProvenance: 'LIVE' | null;
}

/** `ProviderWithModels`. */
export interface ProviderWithModelsView {
  provider: ProviderView;
  models: ModelDetailView[];
}

/** Models by name, then identifier (the order autobyteus-server-ts lists them in). */
export function sortModels(models: ModelDetailView[]): ModelDetailView[] {
  return models
    .slice()
    .sort((a, b) => a.name.localeCompare(b.name) || a.modelIdentifier.localeCompare(b.modelIdentifier));
}

/** Providers by name, then id. */
export function sortProviders(list: ProviderWithModelsView[]): ProviderWithModelsView[] {
  return list
    .slice()
    .sort((a, b) => a.provider.name.localeCompare(b.provider.name) || a.provider.id.localeCompare(b.provider.id));
}
