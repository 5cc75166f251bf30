import { createDnsResolver, type HostNameResolver } from '../discovery/dns-host-expansion.js';
import { type DiscoveryOptions, discoverHosts, type HostProbeReport } from '../discovery/host-discovery.js';
import type { HostHealth } from '../discovery/host-health.js';
import type { LLMConfig } from '../llm/llm-config.js';
import type { LLMModel } from '../llm/llm-model.js';
import type { LocalRuntime } from '../llm/llm-runtime.js';
import type { OpenAICompatibleLLM } from '../llm/openai-compatible-llm.js';
import { createDefaultLogger, type Logger } from '../logging/logger.js';
import { defaultRuntimeTable, type RuntimeDescriptor } from '../runtimes/runtime-table.js';
import type { HostKeyLookup } from '../settings/host-keys.js';
import { type AutobyteusSettings, resolveSettings, type SettingsInput, settingsFromEnv } from '../settings/settings.js';
import { HttpClient } from '../transport/http-client.js';
import { ModelRegistry } from './model-registry.js';

export interface LLMFactoryOptions {
  /** Settings object, or input for `resolveSettings`. Default: read from the environment. */
  settings?: AutobyteusSettings | SettingsInput;
  /** Runtime table; default: llama.cpp, MLX, LM Studio, Ollama, generic OpenAI-compatible. */
  runtimes?: RuntimeDescriptor[];
  logger?: Logger;
  /** Shared HTTP client; default: one built from the settings' timeouts. */
  http?: HttpClient;
  /** Looks up `dns+` host entries; default: one asking the settings' `dnsServers` (else the system's). */
  resolver?: HostNameResolver;
  /**
   * Keys of hosts the application runs itself and whose keys change at run time (a server's managed
   * engines, with a fresh secret per launch); they win over the settings' keys. Never logged.
   */
  hostKeys?: HostKeyLookup;
}

/** What a refresh changed, by model identifier. */
export interface ReloadResult {
  added: string[];
  removed: string[];
  kept: string[];
  hosts: HostHealth[];
}

/** Thrown by `createLLM` for an identifier the registry does not hold. */
export class UnknownModelError extends Error {
  constructor(
    readonly modelIdentifier: string,
    readonly known: string[],
  ) {
    const close = known.filter((id) => id.split(':')[0] === modelIdentifier.split(':')[0]).slice(0, 5);
    super(
      `Unknown model "${modelIdentifier}". ${
        close.length
          ? `Did you mean: ${close.join(', ')}?`
          : `${known.length} models are registered; list them with listAvailableModels().`
      }`,
    );
    this.name = 'UnknownModelError';
  }
}

function isResolved(settings: AutobyteusSettings | SettingsInput): settings is AutobyteusSettings {
  return typeof (settings as AutobyteusSettings).runtimes === 'object';
}

/**
 * Discovers models on every configured host, keeps them in a registry, and creates chat clients.
 * One instance per application; pass it to whoever needs models.
 */
export class LLMFactory {
  readonly settings: AutobyteusSettings;
  readonly logger: Logger;
  private readonly runtimes: RuntimeDescriptor[];
  private readonly http: HttpClient;
  private readonly resolver: HostNameResolver;
  private readonly hostKeys: HostKeyLookup | undefined;
  private readonly ownsHttp: boolean;
  private registry = ModelRegistry.EMPTY;
  private initialized = false;
  private readonly inFlight = new Map<string, Promise<ReloadResult>>();

  constructor(options: LLMFactoryOptions = {}) {
    this.logger = options.logger ?? createDefaultLogger();
    const settings = options.settings ?? settingsFromEnv();
    this.settings = isResolved(settings) ? settings : resolveSettings(settings, this.logger);
    this.runtimes = options.runtimes ?? defaultRuntimeTable();
    this.ownsHttp = !options.http;
    this.http =
      options.http ??
      new HttpClient({
        connectTimeoutMs: this.settings.connectTimeoutMs,
        queueTimeoutMs: this.settings.queueTimeoutMs,
        idleTimeoutMs: this.settings.idleTimeoutMs,
      });
    this.hostKeys = options.hostKeys;
    this.resolver = options.resolver ?? createDnsResolver(this.settings.dnsServers, this.settings.discoveryTimeoutMs);
  }

  /** Runs discovery once; concurrent and later callers share that run. */
  async ensureInitialized(): Promise<void> {
    if (this.initialized) return;
    await this.reinitialize();
  }

  /**
   * Probes the hosts again (all runtimes, or only `runtime`) and swaps in the new registry at once.
   * A host whose refresh fails keeps its last good models, marked `stale`. Concurrent calls for
   * the same scope share one run.
   */
  reinitialize(options: { runtime?: LocalRuntime } = {}): Promise<ReloadResult> {
    const key = options.runtime ?? '*';
    const running = this.inFlight.get(key);
    if (running) return running;
    const run = this.refresh(options.runtime ? [options.runtime] : undefined).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, run);
    return run;
  }

  /** Every registered model: served, on disk, or stale. */
  listAvailableModels(): LLMModel[] {
    return this.registry.models();
  }

  getModel(modelIdentifier: string): LLMModel | undefined {
    return this.registry.get(modelIdentifier);
  }

  /** Health of every probed host, from the last refresh. */
  getHostHealth(): HostHealth[] {
    return this.registry.hostHealth();
  }

  /** The runtime table in use (the server lists engines from it). */
  getRuntimes(): readonly RuntimeDescriptor[] {
    return this.runtimes;
  }

  /** A chat client for a registered model (`name:runtime@host:port`). */
  createLLM(modelIdentifier: string, config?: LLMConfig): OpenAICompatibleLLM {
    const model = this.registry.get(modelIdentifier);
    if (!model)
      throw new UnknownModelError(
        modelIdentifier,
        this.registry.models().map((m) => m.modelIdentifier),
      );
    return this.createLLMFor(model, config);
  }

  /**
   * A chat client for `model` whether or not discovery registered it: a server that starts an engine
   * for one model on demand builds the {@link LLMModel} itself and still shares this factory's pooled
   * connections, settings and runtime classes.
   */
  createLLMFor(model: LLMModel, config?: LLMConfig): OpenAICompatibleLLM {
    const descriptor = this.runtimes.find((entry) => entry.runtime === model.runtime);
    if (!descriptor) throw new Error(`No runtime registered for ${model.runtime}`);
    return new descriptor.llmClass(model, config, {
      http: this.http,
      settings: this.settings,
      logger: this.logger,
      ...(this.hostKeys ? { hostKeys: this.hostKeys } : {}),
    });
  }

  /**
   * Marks a host down at once (e.g. its engine died mid-stream) without waiting for the next
   * refresh. Its models stay registered, marked stale; the next successful refresh brings it back.
   */
  markHostDown(runtime: LocalRuntime, hostUrl: string, reason: string): void {
    const current = this.registry;
    const previous = current.healthOf(runtime, hostUrl);
    const models = current
      .models()
      .map((m) => (m.runtime === runtime && m.hostUrl === hostUrl && !m.stale ? m.with({ stale: true }) : m));
    const health = current
      .hostHealth()
      .map((h) =>
        h === previous ? { ...h, status: 'down' as const, error: reason, lastChecked: new Date().toISOString() } : h,
      );
    this.registry = new ModelRegistry(models, health);
  }

  /** Closes pooled connections (only when the factory created its own HTTP client). */
  async close(): Promise<void> {
    if (this.ownsHttp) await this.http.close();
  }

  private async refresh(only: LocalRuntime[] | undefined): Promise<ReloadResult> {
    const discoveryOptions: DiscoveryOptions = {
      runtimes: this.runtimes,
      settings: this.settings,
      http: this.http,
      logger: this.logger,
      only,
      resolver: this.resolver,
      ...(this.hostKeys ? { hostKeys: this.hostKeys } : {}),
    };
    const reports = await discoverHosts(discoveryOptions);
    const previous = this.registry;
    const next = mergeReports(previous, reports, only);
    this.registry = next;
    this.initialized = true;
    const before = new Set(previous.models().map((m) => m.modelIdentifier));
    const after = new Set(next.models().map((m) => m.modelIdentifier));
    return {
      added: [...after].filter((id) => !before.has(id)),
      removed: [...before].filter((id) => !after.has(id)),
      kept: [...after].filter((id) => before.has(id)),
      hosts: next.hostHealth(),
    };
  }
}

/** Builds the next registry: fresh models of hosts that answered, last good (stale) ones of hosts that did not. */
function mergeReports(
  previous: ModelRegistry,
  reports: HostProbeReport[],
  only: LocalRuntime[] | undefined,
): ModelRegistry {
  const inScope = (runtime: LocalRuntime) => !only || only.includes(runtime);
  // Models and health of runtimes outside this refresh stay as they were.
  const models: LLMModel[] = previous.models().filter((m) => !inScope(m.runtime as LocalRuntime));
  const health: HostHealth[] = previous.hostHealth().filter((h) => !inScope(h.runtime));
  for (const report of reports) {
    let hostModels = report.models;
    if (report.status !== 'up') {
      const lastGood = previous
        .models()
        .filter(
          (m) =>
            m.runtime === report.runtime && m.hostUrl === report.hostUrl && !m.stale && m.availability !== 'available',
        )
        .map((m) => m.with({ stale: true }));
      const alsoStale = previous
        .models()
        .filter((m) => m.runtime === report.runtime && m.hostUrl === report.hostUrl && m.stale);
      const kept = [...lastGood, ...alsoStale];
      const keptIds = new Set(kept.map((m) => m.modelIdentifier));
      hostModels = [...kept, ...report.models.filter((m) => !keptIds.has(m.modelIdentifier))];
    }
    models.push(...hostModels);
    health.push({
      runtime: report.runtime,
      hostUrl: report.hostUrl,
      ...(report.hostEntry ? { hostEntry: report.hostEntry } : {}),
      status: report.status,
      latencyMs: report.latencyMs,
      error: report.error,
      warnings: report.warnings,
      lastChecked: report.checkedAt.toISOString(),
      modelCount: hostModels.length,
    });
  }
  return new ModelRegistry(models, health);
}
