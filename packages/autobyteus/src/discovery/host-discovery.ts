import type { LLMModel } from '../llm/llm-model.js';
import type { LocalRuntime } from '../llm/llm-runtime.js';
import type { Logger } from '../logging/logger.js';
import type { HostStatus } from '../runtimes/model-provider.js';
import type { RuntimeDescriptor } from '../runtimes/runtime-table.js';
import { apiKeyFor, type HostKeyLookup } from '../settings/host-keys.js';
import type { AutobyteusSettings, RuntimeSettings } from '../settings/settings.js';
import type { HttpClient } from '../transport/http-client.js';
import { LLMError } from '../transport/llm-errors.js';
import {
  createDnsResolver,
  expandHostEntries,
  type HostNameResolver,
  type HostTarget,
  isHostTarget,
} from './dns-host-expansion.js';

/** What one host's probe found, with timing. */
export interface HostProbeReport {
  runtime: LocalRuntime;
  hostUrl: string;
  /** The configured `dns+` entry `hostUrl` was resolved from; absent for hosts configured by URL. */
  hostEntry?: string;
  status: HostStatus;
  models: LLMModel[];
  warnings: string[];
  error?: string;
  latencyMs: number;
  checkedAt: Date;
}

export interface DiscoveryOptions {
  runtimes: RuntimeDescriptor[];
  settings: AutobyteusSettings;
  http: HttpClient;
  logger: Logger;
  /** Only these runtimes; all enabled ones when absent. */
  only?: LocalRuntime[];
  /** Looks up `dns+` host entries; default: one asking `settings.dnsServers`, made when first needed. */
  resolver?: HostNameResolver;
  /** Keys of hosts the application runs itself; they win over the settings' keys. */
  hostKeys?: HostKeyLookup;
}

/**
 * Probes every host of every enabled runtime at once. Each probe is bounded by the discovery
 * timeout, so a dead, slow or garbage-speaking host costs at most that long and never affects
 * the others. `dns+` entries are looked up first (bounded the same way) and stand for one host per
 * address. Never throws: a failed host, or a name that does not resolve, becomes a report with
 * status and reason.
 */
export async function discoverHosts(options: DiscoveryOptions): Promise<HostProbeReport[]> {
  let resolver = options.resolver;
  const resolverOnce = () => {
    resolver ??= createDnsResolver(options.settings.dnsServers, options.settings.discoveryTimeoutMs);
    return resolver;
  };
  const runtimes = options.runtimes.filter((descriptor) => {
    if (options.only && !options.only.includes(descriptor.runtime)) return false;
    return options.settings.runtimes[descriptor.runtime]?.enabled ?? false;
  });
  const reports = await Promise.all(
    runtimes.map(async (descriptor) => {
      const runtimeSettings = options.settings.runtimes[descriptor.runtime];
      const started = performance.now();
      const checkedAt = new Date();
      const targets = await expandHostEntries(runtimeSettings.hosts, resolverOnce, options.settings.discoveryTimeoutMs);
      return Promise.all(
        targets.map((target) =>
          isHostTarget(target)
            ? probeHost(descriptor, runtimeSettings, target, options)
            : unresolvedReport(descriptor.runtime, target.hostEntry, target.error, started, checkedAt, options.logger),
        ),
      );
    }),
  );
  return reports.flat();
}

function unresolvedReport(
  runtime: LocalRuntime,
  hostEntry: string,
  error: string,
  started: number,
  checkedAt: Date,
  logger: Logger,
): HostProbeReport {
  logger.debug({ runtime, host: hostEntry, status: 'down', error }, 'host not up');
  return {
    runtime,
    hostUrl: hostEntry,
    status: 'down',
    models: [],
    warnings: [],
    error,
    latencyMs: Math.round(performance.now() - started),
    checkedAt,
  };
}

async function probeHost(
  descriptor: RuntimeDescriptor,
  runtimeSettings: RuntimeSettings,
  { hostUrl, hostEntry }: HostTarget,
  options: DiscoveryOptions,
): Promise<HostProbeReport> {
  const timeoutMs = options.settings.discoveryTimeoutMs;
  const started = performance.now();
  const checkedAt = new Date();
  const controller = new AbortController();
  const expanded = hostEntry !== hostUrl;
  let timer: NodeJS.Timeout | undefined;
  const report = (status: HostStatus, rest: Partial<HostProbeReport>): HostProbeReport => ({
    runtime: descriptor.runtime,
    hostUrl,
    ...(expanded ? { hostEntry } : {}),
    status,
    models: [],
    warnings: [],
    ...rest,
    latencyMs: Math.round(performance.now() - started),
    checkedAt,
  });
  // Models remember the entry their host came from, so its per-host key follows them to the chat client.
  const tagged = (models: LLMModel[]) =>
    expanded ? models.map((m) => m.with({ metadata: { ...m.metadata, hostEntry } })) : models;
  // The timer both aborts the requests and settles the probe, so even a provider that ignores
  // its signal cannot hold discovery up.
  const deadline = new Promise<HostProbeReport>((resolve) => {
    timer = setTimeout(() => {
      controller.abort();
      resolve(report('down', { error: `no answer within the discovery timeout of ${timeoutMs} ms` }));
    }, timeoutMs);
  });
  const probe = descriptor.modelProvider
    .discover({
      hostUrl,
      hostEntry,
      apiKey: options.hostKeys?.(descriptor.runtime, hostUrl) ?? apiKeyFor(runtimeSettings, hostUrl, hostEntry),
      runtimeSettings,
      settings: options.settings,
      http: options.http,
      logger: options.logger,
      signal: controller.signal,
      deadline: Date.now() + timeoutMs,
    })
    .then(
      (found) => report(found.status, { ...found, models: tagged(found.models) }),
      (error: unknown) => {
        if (error instanceof LLMError && error.kind === 'aborted') {
          return report('down', { error: `no answer within the discovery timeout of ${timeoutMs} ms` });
        }
        const status: HostStatus =
          error instanceof LLMError && error.kind === 'unauthorized'
            ? 'unauthorized'
            : error instanceof LLMError && error.kind === 'loading'
              ? 'loading'
              : 'down';
        return report(status, { error: error instanceof LLMError ? error.reason : String(error) });
      },
    );
  try {
    const result = await Promise.race([probe, deadline]);
    for (const warning of result.warnings) {
      options.logger.warn({ runtime: descriptor.runtime, host: hostUrl }, warning);
    }
    if (result.status !== 'up') {
      options.logger.debug(
        { runtime: descriptor.runtime, host: hostUrl, status: result.status, error: result.error },
        'host not up',
      );
    }
    return result;
  } finally {
    clearTimeout(timer);
  }
}
