import type { LocalRuntime } from '../llm/llm-runtime.js';
import type { HostStatus } from '../runtimes/model-provider.js';

/** The last probe of one host, as the factory keeps it and the server shows it. */
export interface HostHealth {
  runtime: LocalRuntime;
  hostUrl: string;
  /** The configured `dns+` entry `hostUrl` was resolved from; absent for hosts configured by URL. */
  hostEntry?: string;
  status: HostStatus;
  /** Wall time of the last probe. */
  latencyMs: number;
  /** Why the host is not up (the problem only; no prompts, no keys). */
  error?: string;
  warnings: string[];
  /** ISO time of the last probe. */
  lastChecked: string;
  /** Models registered for this host (including stale and on-disk ones). */
  modelCount: number;
}

export function hostKey(runtime: LocalRuntime, hostUrl: string): string {
  return `${runtime}@${hostUrl}`;
}
