import type { LLMModel } from '../llm/llm-model.js';
import type { LocalRuntime } from '../llm/llm-runtime.js';
import type { Logger } from '../logging/logger.js';
import type { HostStatus } from '../runtimes/model-provider.js';
import type { RuntimeDescriptor } from '../runtimes/runtime-table.js';
import type { AutobyteusSettings } from '../settings/settings.js';
import type { HttpClient } from '../transport/http-client.js';
import { LLMError } from '../transport/llm-errors.js';

/** What one host's probe found, with timing. */
export interface HostProbeReport {
  runtime: LocalRuntime;
  hostUrl: string;
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
}

/**
 * Probes every host of every enabled runtime at once. Each probe is bounded by the discovery
 * timeout, so a dead, slow or garbage-speaking host costs at most that long and never affects
 * the others. Never throws: a failed host becomes a report with status and reason.
 */
export async function discoverHosts(options: DiscoveryOptions): Promise<HostProbeReport[]> {
  const probes: Array<Promise<HostProbeReport>> = [];
  for (const descriptor of options.runtimes) {
    if (options.only && !options.only.includes(descriptor.runtime)) continue;
    const runtimeSettings = options.settings.runtimes[descriptor.runtime];
    if (!runtimeSettings?.enabled) continue;
    for (const hostUrl of runtimeSettings.hosts) probes.push(probeHost(descriptor, hostUrl, options));
  }
  return Promise.all(probes);
}

async function probeHost(
  descriptor: RuntimeDescriptor,
  hostUrl: string,
  options: DiscoveryOptions,
): Promise<HostProbeReport> {
  const timeoutMs = options.settings.discoveryTimeoutMs;
  const started = performance.now();
  const checkedAt = new Date();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const report = (status: HostStatus, rest: Partial<HostProbeReport>): HostProbeReport => ({
    runtime: descriptor.runtime,
    hostUrl,
    status,
    models: [],
    warnings: [],
    ...rest,
    latencyMs: Math.round(performance.now() - started),
    checkedAt,
  });
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
      runtimeSettings: options.settings.runtimes[descriptor.runtime],
      settings: options.settings,
      http: options.http,
      logger: options.logger,
      signal: controller.signal,
      deadline: Date.now() + timeoutMs,
    })
    .then(
      (found) => report(found.status, found),
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
