import {
  apiKeyFor,
  type HostHealth,
  type LLMFactory,
  type LLMModel,
  type LocalRuntime,
  type RuntimeSettings,
} from 'autobyteus';
import { printable } from '../http/untrusted-text.js';
import {
  type CredentialStatusView,
  type ModelDetailView,
  type ProviderStatus,
  type ProviderView,
  type ProviderWithModelsView,
  sortModels,
} from './provider-views.js';

/** Longest status message; host errors are the library's own text, bounded anyway. */
const MAX_STATUS_MESSAGE = 300;

/** The provider id of one configured host: `runtime@hostUrl`, as `/api/health` keys hosts. */
export function hostProviderId(runtime: LocalRuntime, hostUrl: string): string {
  return `${runtime}@${hostUrl}`;
}

/**
 * Every probed host of `runtimes` as a provider with its registered models, from the factory's last
 * refresh (`getHostHealth`, `listAvailableModels`): nothing is probed here.
 */
export function hostProviders(factory: LLMFactory, runtimes: readonly LocalRuntime[]): ProviderWithModelsView[] {
  const labels = new Map(factory.getRuntimes().map((d) => [d.runtime, { label: d.label, provider: d.provider }]));
  const models = factory.listAvailableModels();
  return factory
    .getHostHealth()
    .filter((health) => runtimes.includes(health.runtime))
    .map((health) => {
      const row = labels.get(health.runtime);
      const provider = hostProvider(
        health,
        row?.label ?? health.runtime,
        row?.provider ?? health.runtime,
        factory.settings.runtimes[health.runtime],
      );
      const own = models.filter((m) => m.runtime === health.runtime && m.hostUrl === health.hostUrl);
      return { provider, models: sortModels(own.map((m) => hostModelDetail(m, provider))) };
    });
}

function hostProvider(
  health: HostHealth,
  label: string,
  providerType: string,
  settings: RuntimeSettings | undefined,
): ProviderView {
  const keyConfigured = settings ? apiKeyFor(settings, health.hostUrl, health.hostEntry) !== undefined : false;
  const from = health.hostEntry ? ` (from ${health.hostEntry})` : '';
  return {
    id: hostProviderId(health.runtime, health.hostUrl),
    name: `${label} at ${health.hostUrl}${from}`,
    providerType,
    isCustom: false,
    baseUrl: health.hostUrl,
    apiKeyConfigured: keyConfigured,
    credentialStatus: credentialStatus(keyConfigured, health.status === 'unauthorized'),
    ...hostStatus(health),
  };
}

/**
 * A credential status only where a key matters: one is configured, or the host refused us for want
 * of one. A local engine that needs no key has none (null, as autobyteus-server-ts shows providers
 * without credentials).
 */
function credentialStatus(configured: boolean, refused: boolean): CredentialStatusView | null {
  if (!configured && !refused) return null;
  return {
    backendHealth: 'READY',
    vaultHealth: 'READY',
    storageState: configured ? 'CONFIGURED' : 'MISSING',
    lifecycle: 'EXTERNALLY_MANAGED',
    instructionCode: null,
  };
}

/**
 * READY when the host answered its last probe; otherwise STALE_ERROR when models are still listed
 * for it (last good ones, or MLX models found on disk), ERROR when none are. The message says what
 * the probe found.
 */
function hostStatus(health: HostHealth): { status: ProviderStatus; statusMessage: string | null } {
  if (health.status === 'up') {
    return {
      status: 'READY',
      statusMessage: health.warnings.length ? printable(health.warnings.join('; '), MAX_STATUS_MESSAGE) : null,
    };
  }
  const why = health.error ? `: ${health.error}` : '';
  const kept = health.modelCount > 0 ? `; ${health.modelCount} models listed from its last answer or from disk` : '';
  return {
    status: health.modelCount > 0 ? 'STALE_ERROR' : 'ERROR',
    statusMessage: printable(`host ${health.status}${why}${kept}`, MAX_STATUS_MESSAGE),
  };
}

const AVAILABILITY_TEXT: Record<LLMModel['availability'], string | null> = {
  served: null,
  loading: 'loading on its host',
  unloaded: 'unloaded; its host loads it on the first request',
  available: 'on disk only; its host is not serving it now',
  failed: 'its host could not load it',
};

/** Engine facts as a short line: quantization, parameter count, availability. Null when there are none. */
function describe(model: LLMModel): string | null {
  const config = model.defaultConfig;
  const parts = [
    config.quantization,
    config.parameterCount ? `${formatCount(config.parameterCount)} parameters` : undefined,
    model.stale ? 'last listed by its host, which is not answering now' : AVAILABILITY_TEXT[model.availability],
  ].filter((part): part is string => Boolean(part));
  return parts.length ? parts.join(', ') : null;
}

function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(1).replace(/\.0$/, '')}B`;
  if (n >= 1e6) return `${Math.round(n / 1e6)}M`;
  return String(n);
}

/** A discovered model: the context limits come from the engine (`/props`, `/v1/models` meta), so LIVE. */
function hostModelDetail(model: LLMModel, provider: ProviderView): ModelDetailView {
  const active = model.defaultConfig.contextWindow ?? null;
  const max = model.defaultConfig.trainedContextWindow ?? active;
  return {
    modelIdentifier: model.modelIdentifier,
    name: model.name,
    description: describe(model),
    value: model.value,
    canonicalName: model.canonicalName,
    providerId: provider.id,
    providerName: provider.name,
    providerType: model.provider,
    runtime: model.runtime,
    hostUrl: model.hostUrl,
    configSchema: null,
    maxContextTokens: max,
    activeContextTokens: active,
    maxInputTokens: null,
    maxOutputTokens: null,
    metadataProvenance: max !== null ? 'LIVE' : null,
  };
}
