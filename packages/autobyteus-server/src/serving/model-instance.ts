import { LLMModel, LLMProvider, LLMRuntime } from 'autobyteus';
import type { ManagedLocalEngine } from '../engines/process/managed-local-engine.js';
import type { EngineName } from '../engines/specs/engine-name.js';
import type { MemoryEstimate } from './memory-estimate.js';
import type { LoadedModel } from './model-scheduler.js';
import type { ServableModel } from './servable-models.js';

/** Where a served model is in its life: being loaded, or loaded and taking requests. */
export type InstanceState = 'loading' | 'loaded';

const RUNTIME_OF: Record<EngineName, { runtime: LLMRuntime; provider: LLMProvider }> = {
  'llama-cpp': { runtime: LLMRuntime.LLAMA_CPP, provider: LLMProvider.LLAMA_CPP },
  mlx: { runtime: LLMRuntime.MLX, provider: LLMProvider.MLX },
};

/**
 * One model loaded (or loading) in its own engine process: the process, its port and the
 * bookkeeping the scheduler decides on (last use, requests in flight, expiry, pin).
 */
export class ModelInstance {
  state: InstanceState = 'loading';
  engine: ManagedLocalEngine | undefined;
  port: number | undefined;
  /** Settles when the engine is ready (or rejects with the load error); set by the model server. */
  ready: Promise<void> = Promise.resolve();
  lastUsedAt: number;
  inFlight = 0;
  expiresAt: number | null = null;
  readonly loadStartedAt: number;
  loadedAt: number | undefined;
  /** What the engine reports once ready (`/props`): its context and slots. */
  engineFacts: { contextSize?: number; slots?: number } = {};

  constructor(
    readonly model: ServableModel,
    readonly estimate: MemoryEstimate,
    public keepAliveMs: number,
    readonly pinned: boolean,
    now: number,
  ) {
    this.lastUsedAt = now;
    this.loadStartedAt = now;
  }

  get id(): string {
    return this.model.id;
  }

  /** The base URL of its engine (once a port is assigned). */
  get url(): string | undefined {
    return this.port === undefined ? undefined : `http://127.0.0.1:${this.port}`;
  }

  /** Its state as the pure scheduler sees it. */
  toScheduler(): LoadedModel {
    return {
      id: this.id,
      engine: this.model.engine,
      memoryBytes: this.estimate.totalBytes,
      lastUsedAt: this.lastUsedAt,
      inFlight: this.inFlight,
      pinned: this.pinned,
      loading: this.state === 'loading',
      expiresAt: this.expiresAt,
    };
  }

  /** The library model a chat client for this instance is built from. */
  llmModel(): LLMModel {
    const url = this.url;
    if (!url) throw new Error(`${this.id} has no engine yet`);
    return new LLMModel({
      name: this.id,
      // mlx_lm.server loads whatever `model` names: send exactly what it was started with.
      value: this.model.engine === 'mlx' ? this.model.path : this.id,
      ...RUNTIME_OF[this.model.engine],
      hostUrl: url,
      metadata: { localPath: this.model.path },
    });
  }
}
