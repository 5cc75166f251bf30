import type { LLMModel } from '../llm/llm-model.js';
import type { LocalRuntime } from '../llm/llm-runtime.js';
import type { Logger } from '../logging/logger.js';
import type { AutobyteusSettings, RuntimeSettings } from '../settings/settings.js';
import type { HttpClient } from '../transport/http-client.js';

/** How a host answered its last probe. */
export type HostStatus = 'up' | 'loading' | 'unauthorized' | 'down';

/** What probing one host found. */
export interface HostDiscovery {
  status: HostStatus;
  models: LLMModel[];
  /** Non-fatal findings, e.g. "this host does not look like llama-server". */
  warnings: string[];
  /** Why the host is not `up`. */
  error?: string;
}

/** Everything a model provider needs to probe one host; discovery builds it per host. */
export interface ProbeContext {
  /** The host probed: a configured URL, or one address a `dns+` entry resolved to. */
  hostUrl: string;
  /** The configured entry `hostUrl` came from (the `dns+` entry), or `hostUrl` itself. */
  hostEntry: string;
  /** The key for this host (`apiKeyFor`), sent as a bearer token; never logged. */
  apiKey?: string;
  runtimeSettings: RuntimeSettings;
  settings: AutobyteusSettings;
  http: HttpClient;
  logger: Logger;
  /** Aborted when the discovery timeout for this host runs out. */
  signal: AbortSignal;
  /** `Date.now()` value by which the probe must be done. */
  deadline: number;
}

/** Discovers the models one runtime serves on one host. */
export interface ModelProvider {
  readonly runtime: LocalRuntime;
  discover(context: ProbeContext): Promise<HostDiscovery>;
}
