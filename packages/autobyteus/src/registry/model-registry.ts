import { type HostHealth, hostKey } from '../discovery/host-health.js';
import type { LLMModel } from '../llm/llm-model.js';

/**
 * An immutable snapshot of registered models and host health. The factory replaces the whole
 * snapshot at once, so readers never see a half-built or empty registry during a refresh.
 */
export class ModelRegistry {
  private readonly byIdentifier: ReadonlyMap<string, LLMModel>;
  private readonly health: ReadonlyMap<string, HostHealth>;

  constructor(models: Iterable<LLMModel> = [], health: Iterable<HostHealth> = []) {
    this.byIdentifier = new Map([...models].map((model) => [model.modelIdentifier, model]));
    this.health = new Map([...health].map((entry) => [hostKey(entry.runtime, entry.hostUrl), entry]));
  }

  static readonly EMPTY = new ModelRegistry();

  get(identifier: string): LLMModel | undefined {
    return this.byIdentifier.get(identifier);
  }

  models(): LLMModel[] {
    return [...this.byIdentifier.values()];
  }

  hostHealth(): HostHealth[] {
    return [...this.health.values()];
  }

  healthOf(runtime: HostHealth['runtime'], hostUrl: string): HostHealth | undefined {
    return this.health.get(hostKey(runtime, hostUrl));
  }
}
