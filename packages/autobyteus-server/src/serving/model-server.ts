import type { Logger } from 'pino';
import type { ServerConfig } from '../config/server-config.js';
import { createManagedEngine, managedPidFile } from '../engines/managed-engines.js';
import type { EngineSupervisor } from '../engines/process/engine-supervisor.js';
import type { EngineName } from '../engines/specs/engine-name.js';
import { ENGINE_SPECS } from '../engines/specs/engine-spec.js';
import { isProcessAlive } from '../io/process-liveness.js';
import type { ServerMetrics } from '../metrics/server-metrics.js';
import { fetchEngineFacts } from './engine-facts.js';
import { availableMemoryBytes, estimateGgufMemory, estimateMlxMemory, type MemoryEstimate } from './memory-estimate.js';
import {
  AmbiguousModelError,
  EngineUnavailableError,
  InsufficientMemoryError,
  ModelLoadError,
  ModelsBusyError,
} from './model-errors.js';
import { ModelInstance } from './model-instance.js';
import { matchModelName } from './model-names.js';
import { expiredModels, expiryAfter, nextExpiry, planLoad } from './model-scheduler.js';
import { PortAllocator } from './port-allocator.js';
import type { ServableModel } from './servable-models.js';
import { describeInstance, type LoadedModelView, type ModelState } from './served-model-view.js';

/**
 * The context assumed for a GGUF whose header gives none. With no `--ctx-size`, llama-server
 * (b1-80fb11a) allocates the model's trained context (SmolLM2: 8192, RSS 317 MB for 91 MB of weights).
 */
export const LLAMA_FALLBACK_CONTEXT = 4096;

/** Why a model stopped being loaded (a fixed set: it is a metric label). */
export type UnloadReason = 'idle' | 'evicted' | 'requested' | 'exited' | 'shutdown' | 'load_failed';

/** Starts tried when the engine finds its port taken at bind time. */
const LAUNCH_ATTEMPTS = 3;
/** How llama-server and uvicorn (mlx_lm.server) say their port is taken. */
const PORT_TAKEN = /couldn't bind|address already in use|port \d+ is (already )?in use/i;

/** Collaborators of a {@link ModelServer}. */
export interface ModelServerDeps {
  config: ServerConfig;
  logger: Logger;
  supervisor: EngineSupervisor;
  /** The program (llama-server, or the MLX Python) of each engine the server may run. */
  programs: Partial<Record<EngineName, string>>;
  /** The models on disk now (`listServableModels`). */
  listModels: () => Promise<ServableModel[]>;
  /** Told of loads and unloads (`GET /metrics`). */
  metrics?: Pick<ServerMetrics, 'modelLoaded' | 'modelLoadFailed' | 'modelUnloaded'>;
  /** Memory the system can give now (default: MemAvailable). */
  availableMemory?: () => number;
  now?: () => number;
}

/** A model held for one request: its chat client target, released when the request ends. */
export interface ModelLease {
  instance: ModelInstance;
  /** Call once when the request is over: starts the model's idle clock. */
  release(): void;
}

/**
 * Serves every local model on demand, one engine process per model (as measured in
 * docs/performance.md, this beat llama-server's router mode on crash isolation and per-model TTL):
 * loads a model on its first request (concurrent requests share one load), unloads it after its
 * keep-alive, keeps at most `models_max` per engine (least recently used unloaded first, pinned never),
 * and refuses models whose estimated memory does not fit. The decisions are `model-scheduler.ts`'s.
 */
export class ModelServer {
  private readonly instances = new Map<string, ModelInstance>();
  private readonly failures = new Map<string, string>();
  private readonly ports: Record<EngineName, PortAllocator>;
  private readonly changed = new Set<() => void>();
  private readonly log: Logger;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly deps: ModelServerDeps) {
    const v = deps.config.values;
    this.ports = {
      'llama-cpp': new PortAllocator(v.LLAMACPP_MANAGED_PORT),
      mlx: new PortAllocator(v.MLX_MANAGED_PORT),
    };
    this.log = deps.logger.child({ component: 'models' });
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** The engines this server may run models on. */
  get engines(): EngineName[] {
    return Object.keys(this.deps.programs) as EngineName[];
  }

  /**
   * Makes the next loads of `engine` start `program` (after an engine upgrade or rollback). Models
   * already loaded keep the process they run; their program stays on disk (versions are only
   * removed by `engines remove`). False when this server does not run that engine.
   */
  useProgram(engine: EngineName, program: string): boolean {
    if (!(engine in this.deps.programs)) return false;
    this.deps.programs[engine] = program;
    return true;
  }

  /** Every servable model on disk, with its state (`loaded`, `loading`, `available`, `failed` + reason). */
  async list(): Promise<Array<{ model: ServableModel; state: ModelState; reason?: string }>> {
    const models = await this.deps.listModels();
    return models.map((model) => {
      const instance = this.instances.get(model.id);
      if (instance) return { model, state: instance.state };
      const reason = this.failures.get(model.id) ?? model.problem;
      return reason ? { model, state: 'failed' as const, reason } : { model, state: 'available' as const };
    });
  }

  /** The local model `name` refers to; undefined when none does. Throws {@link AmbiguousModelError}. */
  async find(name: string): Promise<ServableModel | undefined> {
    const match = matchModelName(await this.deps.listModels(), name);
    if (match.kind === 'ambiguous') throw new AmbiguousModelError(name, match.candidates);
    return match.kind === 'found' ? match.model : undefined;
  }

  /** Loaded and loading models, for `models ps` and `GET /api/ps`. */
  ps(): LoadedModelView[] {
    return [...this.instances.values()].map((i) => describeInstance(i, this.now()));
  }

  /** Whether `id` is loaded and ready now (a request for it will not wait for a load). */
  isReady(id: string): boolean {
    const instance = this.instances.get(id);
    return instance?.state === 'loaded' && instance.engine?.status().state === 'ready';
  }

  /**
   * Holds `model` for one request, loading it first if needed. `keepAliveMs` (a request's
   * `keep_alive`) replaces the model's keep-alive from now on. Rejects with a {@link ModelServingError}.
   */
  async acquire(model: ServableModel, options: { keepAliveMs?: number; waitMs?: number } = {}): Promise<ModelLease> {
    const instance = await this.ensureLoaded(
      model,
      options.waitMs ?? this.deps.config.values.AUTOBYTEUS_QUEUE_TIMEOUT_MS,
    );
    if (options.keepAliveMs !== undefined) instance.keepAliveMs = options.keepAliveMs;
    instance.lastUsedAt = this.now();
    instance.expiresAt = null;
    let released = false;
    return {
      instance,
      release: () => {
        if (released) return;
        released = true;
        instance.inFlight -= 1;
        instance.lastUsedAt = this.now();
        if (instance.inFlight === 0) instance.expiresAt = expiryAfter(instance.keepAliveMs, instance.lastUsedAt);
        this.notify();
        this.schedule();
      },
    };
  }

  /** Loads `model` (if needed) without a request, and starts its idle clock. */
  async load(model: ServableModel, options: { keepAliveMs?: number } = {}): Promise<LoadedModelView> {
    const lease = await this.acquire(model, options);
    lease.release();
    return describeInstance(lease.instance, this.now());
  }

  /** Unloads `id` now (stops its engine); false when it was not loaded. Waits for a load in progress. */
  async unload(id: string, why: UnloadReason = 'requested'): Promise<boolean> {
    const instance = this.instances.get(id);
    if (!instance) return false;
    await instance.ready.catch(() => undefined);
    if (this.instances.get(id) !== instance) return false;
    this.instances.delete(id);
    await this.stopInstance(instance, why);
    this.notify();
    this.schedule();
    return true;
  }

  /** Stops every instance (server shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const all = [...this.instances.values()];
    this.instances.clear();
    await Promise.all(all.map((i) => this.stopInstance(i, 'shutdown')));
  }

  // ---- loading ---------------------------------------------------------------------------------

  /** The loaded instance of `model`, already held (`inFlight` counted) for the caller. */
  private async ensureLoaded(model: ServableModel, waitMs: number): Promise<ModelInstance> {
    const started = this.now();
    for (;;) {
      const existing = this.instances.get(model.id);
      if (existing) {
        await existing.ready;
        if (this.instances.get(model.id) !== existing) continue;
        // A crashed engine restarting: its start() joins the restart and resolves when ready again.
        if (existing.engine && existing.engine.status().state !== 'ready') await this.rejoin(existing);
        // Held in the same turn it is found ready, so no eviction planned meanwhile can pick it.
        existing.inFlight += 1;
        return existing;
      }
      const program = this.deps.programs[model.engine];
      if (!program) {
        throw new EngineUnavailableError(
          model.id,
          `the ${model.engine} engine is not available to serve "${model.id}": install it (engines install ${model.engine}) and enable it`,
        );
      }
      const estimate = this.estimate(model);
      const plan = planLoad(
        [...this.instances.values()].map((i) => i.toScheduler()),
        { id: model.id, engine: model.engine, memoryBytes: estimate.totalBytes },
        this.limits(),
      );
      if (plan.kind === 'refuse') {
        throw new InsufficientMemoryError(model.id, plan.reason, plan.neededBytes, plan.budgetBytes);
      }
      if (plan.kind === 'wait') {
        const left = waitMs - (this.now() - started);
        if (left <= 0) throw new ModelsBusyError(model.id, plan.reason, waitMs);
        await this.nextChange(left);
        continue;
      }
      return this.startLoad(model, estimate, plan.evict, program);
    }
  }

  /** Registers the instance at once (so concurrent requests share it), then evicts and launches. */
  private async startLoad(
    model: ServableModel,
    estimate: MemoryEstimate,
    evict: string[],
    program: string,
  ): Promise<ModelInstance> {
    const keepAlive = model.settings.keepAliveMs ?? this.deps.config.values.AUTOBYTEUS_KEEP_ALIVE;
    const instance = new ModelInstance(model, estimate, keepAlive, model.settings.pinned, this.now());
    const victims = evict.map((id) => this.instances.get(id)).filter((i): i is ModelInstance => i !== undefined);
    for (const victim of victims) this.instances.delete(victim.id);
    this.instances.set(model.id, instance);
    this.failures.delete(model.id);
    this.log.info({ model: model.id, evict, estimateBytes: estimate.totalBytes }, 'loading model');
    // Every waiter sees the same typed error; the bookkeeping happens once, here.
    instance.ready = (async () => {
      await Promise.all(victims.map((v) => this.stopInstance(v, 'evicted')));
      await this.launch(instance, program);
    })().catch(async (error: unknown) => {
      if (this.instances.get(model.id) === instance) this.instances.delete(model.id);
      const reason = (error as Error).message;
      this.failures.set(model.id, reason);
      this.deps.metrics?.modelLoadFailed(model.id, model.engine);
      await this.stopInstance(instance, 'load_failed');
      this.notify();
      throw new ModelLoadError(model.id, ENGINE_SPECS[model.engine].displayName, reason);
    });
    await instance.ready;
    instance.state = 'loaded';
    instance.loadedAt = this.now();
    this.deps.metrics?.modelLoaded(model.id, model.engine, (instance.loadedAt - instance.loadStartedAt) / 1000);
    this.log.info(
      { model: model.id, port: instance.port, loadMs: instance.loadedAt - instance.loadStartedAt },
      'model loaded',
    );
    this.notify();
    instance.inFlight += 1;
    return instance;
  }

  private async launch(instance: ModelInstance, program: string): Promise<void> {
    // A port probed free can be taken before the engine binds it (another program starting at the
    // same moment): the engine then exits "couldn't bind"; that port is avoided and another tried.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.launchOnce(instance, program);
        return;
      } catch (error) {
        const port = instance.port;
        if (attempt >= LAUNCH_ATTEMPTS || port === undefined || !PORT_TAKEN.test((error as Error).message)) throw error;
        this.log.warn({ model: instance.id, port, attempt }, 'engine port was taken meanwhile; trying another');
        if (instance.engine) this.deps.supervisor.remove(instance.engine);
        instance.engine = undefined;
        instance.port = undefined;
        this.ports[instance.model.engine].avoid(port);
      }
    }
  }

  private async launchOnce(instance: ModelInstance, program: string): Promise<void> {
    const { config, logger, supervisor } = this.deps;
    const model = instance.model;
    const spec = ENGINE_SPECS[model.engine];
    const isDefault = spec.resolveModel(config) !== undefined && this.isDefaultModel(model);
    const defaultPort = Number(config.values[spec.keys.port]);
    instance.port = await this.ports[model.engine].allocate({
      ...(isDefault ? { preferred: defaultPort } : {}),
      adoptable: (port) => {
        const pid = managedPidFile(config, spec).read();
        return port === defaultPort && pid !== undefined && isProcessAlive(pid);
      },
    });
    if (this.closed) throw new Error('the server is stopping');
    const engine = createManagedEngine({
      config,
      logger,
      spec,
      inputs: { program, model: model.path, modelId: model.id, settings: model.settings },
      hostUrl: instance.url as string,
    });
    instance.engine = engine;
    supervisor.add(engine);
    engine.onStateChange((status) => {
      // Crash restarts given up: the instance is gone; the next request loads it afresh.
      if (status.state === 'failed' && this.instances.get(instance.id) === instance && instance.state === 'loaded') {
        this.instances.delete(instance.id);
        this.failures.set(instance.id, status.lastError ?? 'engine failed');
        void this.stopInstance(instance, 'exited');
        this.notify();
      }
    });
    await engine.start();
    instance.engineFacts = await fetchEngineFacts(instance.url as string, model.engine, engine.apiKey);
  }

  private async rejoin(instance: ModelInstance): Promise<void> {
    try {
      await instance.engine?.start();
    } catch (error) {
      throw new ModelLoadError(instance.id, ENGINE_SPECS[instance.model.engine].displayName, (error as Error).message);
    }
  }

  private isDefaultModel(model: ServableModel): boolean {
    const spec = ENGINE_SPECS[model.engine];
    const wanted = spec.resolveModel(this.deps.config);
    return wanted === model.path || wanted === model.id;
  }

  private async stopInstance(instance: ModelInstance, why: UnloadReason): Promise<void> {
    const engine = instance.engine;
    if (engine) {
      await engine.stop().catch((error: unknown) => this.log.warn({ err: error, model: instance.id }, 'stop failed'));
      this.deps.supervisor.remove(engine);
    }
    if (instance.port !== undefined) this.ports[instance.model.engine].release(instance.port);
    if (instance.state === 'loaded') {
      this.log.info({ model: instance.id, why }, 'model unloaded');
      this.deps.metrics?.modelUnloaded(instance.id, instance.model.engine, why);
    }
  }

  private estimate(model: ServableModel): MemoryEstimate {
    if (model.engine === 'mlx') {
      return estimateMlxMemory({ folderBytes: model.sizeBytes, contextSize: model.trainedContext ?? 0 });
    }
    const ctx = model.settings.ctxSize || model.trainedContext || LLAMA_FALLBACK_CONTEXT;
    return estimateGgufMemory({ fileBytes: model.sizeBytes, attention: model.attention, contextSize: ctx });
  }

  private limits() {
    const v = this.deps.config.values;
    const loadedBytes = [...this.instances.values()].reduce((sum, i) => sum + i.estimate.totalBytes, 0);
    const budget = v.AUTOBYTEUS_MEMORY_BUDGET || (this.deps.availableMemory ?? availableMemoryBytes)() + loadedBytes;
    return { modelsMax: { 'llama-cpp': v.LLAMACPP_MODELS_MAX, mlx: v.MLX_MODELS_MAX }, memoryBudgetBytes: budget };
  }

  // ---- idle expiry and waiting -----------------------------------------------------------------

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed) return;
    const next = nextExpiry([...this.instances.values()].map((i) => i.toScheduler()));
    if (next === null) return;
    this.timer = setTimeout(() => void this.expire(), Math.max(0, next - this.now()));
    this.timer.unref();
  }

  private async expire(): Promise<void> {
    this.timer = undefined;
    const due = expiredModels(
      [...this.instances.values()].map((i) => i.toScheduler()),
      this.now(),
    );
    await Promise.all(due.map((id) => this.unload(id, 'idle')));
    this.schedule();
  }

  private notify(): void {
    for (const wake of [...this.changed]) wake();
  }

  private nextChange(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.changed.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.changed.add(done);
    });
  }
}
