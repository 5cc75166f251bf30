import type { LLMFactory, LocalRuntime } from 'autobyteus';
import type { ServerConfig } from '../config/server-config.js';
import { wantsManaged } from './managed-engines.js';
import { specForRuntime } from './specs/engine-spec.js';

/** One local engine as `/api/engines` and `engines list` show it. */
export interface EngineView {
  runtime: LocalRuntime;
  label: string;
  enabled: boolean;
  hosts: Array<{ url: string; status: string; version?: string; models: number }>;
  /** True when the server installs and launches this engine. */
  managed: boolean;
  /** Process state of a managed engine; null for external ones. */
  process: ManagedProcessState | null;
}

/** What `/api/engines` shows of a managed engine's process. */
export interface ManagedProcessState {
  state: string;
  pid?: number;
  restarts?: number;
  lastError?: string;
}

/** Supplies process state of managed engines (the supervisor, in the server). */
export interface ManagedEngineStates {
  stateOf(runtime: LocalRuntime): ManagedProcessState | null;
}

/** Lists every runtime the library knows with its hosts, health and version (when the engine reports one). */
export function listEngines(factory: LLMFactory, config: ServerConfig, managed: ManagedEngineStates): EngineView[] {
  const health = factory.getHostHealth();
  const models = factory.listAvailableModels();
  return factory.getRuntimes().map((descriptor) => {
    const settings = factory.settings.runtimes[descriptor.runtime];
    const spec = specForRuntime(descriptor.runtime);
    const isManaged = spec ? wantsManaged(config, spec) : false;
    return {
      runtime: descriptor.runtime,
      label: descriptor.label,
      enabled: settings.enabled,
      managed: isManaged,
      process: isManaged ? managed.stateOf(descriptor.runtime) : null,
      hosts: settings.hosts.map((url) => {
        const hostModels = models.filter((m) => m.runtime === descriptor.runtime && m.hostUrl === url);
        const version = hostModels.find((m) => typeof m.metadata.buildInfo === 'string')?.metadata.buildInfo;
        return {
          url,
          status: health.find((h) => h.runtime === descriptor.runtime && h.hostUrl === url)?.status ?? 'unknown',
          ...(version ? { version } : {}),
          models: hostModels.length,
        };
      }),
    };
  });
}
