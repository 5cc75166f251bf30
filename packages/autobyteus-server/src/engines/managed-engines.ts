import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { LocalRuntime } from 'autobyteus';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/server-config.js';
import { findCatalogEntry } from '../models/catalog.js';
import { hubCacheDir } from '../models/hub-cache-dir.js';
import { modelPaths } from '../models/model-paths.js';
import type { ManagedEngineStates } from './engine-inventory.js';
import type { EngineManifestStore } from './manifest/engine-manifest-store.js';
import type { EngineSupervisor } from './process/engine-supervisor.js';
import { llamaServerCommand, mlxServerCommand } from './process/launch-command.js';
import { ManagedLocalEngine, type ManagedLocalEngineOptions } from './process/managed-local-engine.js';
import { PidFile } from './process/pid-file.js';
import { isProcessAlive } from './process/process-liveness.js';
import { llamaCppReadiness, mlxReadiness } from './process/readiness-probe.js';

/** Where a managed engine listens: loopback at its configured port. */
export function managedHostUrl(config: ServerConfig, runtime: 'llama_cpp' | 'mlx'): string {
  const port = runtime === 'llama_cpp' ? config.values.LLAMACPP_MANAGED_PORT : config.values.MLX_MANAGED_PORT;
  return `http://127.0.0.1:${port}`;
}

/** True when the configuration asks the server to run this engine itself. */
export function wantsManaged(config: ServerConfig, runtime: 'llama_cpp' | 'mlx'): boolean {
  if (config.values.LLM_HOST_MANAGEMENT === 'external') return false;
  return runtime === 'llama_cpp' ? config.values.LLAMACPP_MANAGED : config.values.MLX_MANAGED;
}

/**
 * The llama-server to run: `LLAMACPP_BINARY_PATH` when it exists (pre-bundled engines short-circuit
 * everything else), else the active installed version.
 */
export async function resolveLlamaBinary(
  config: ServerConfig,
  store: EngineManifestStore,
): Promise<string | undefined> {
  const configured = config.values.LLAMACPP_BINARY_PATH;
  if (configured && existsSync(configured)) return configured;
  const manifest = await store.read();
  const record = manifest.engines['llama-cpp'];
  const active = record?.active ? record.versions[record.active] : undefined;
  return active && existsSync(active.path) ? active.path : undefined;
}

/** The Python for MLX: `MLX_PYTHON_BIN`, else the active managed venv. */
export async function resolveMlxPython(config: ServerConfig, store: EngineManifestStore): Promise<string | undefined> {
  if (config.values.MLX_PYTHON_BIN && existsSync(config.values.MLX_PYTHON_BIN)) return config.values.MLX_PYTHON_BIN;
  const manifest = await store.read();
  const record = manifest.engines.mlx;
  const active = record?.active ? record.versions[record.active] : undefined;
  return active && existsSync(active.path) ? active.path : undefined;
}

/**
 * The GGUF the managed llama-server serves: `LLAMACPP_DEFAULT_MODEL` as a path, a file name under
 * `$AUTOBYTEUS_HOME/models/gguf`, or a catalog name already pulled there.
 */
export function resolveLlamaModel(config: ServerConfig): string | undefined {
  const wanted = config.values.LLAMACPP_DEFAULT_MODEL;
  if (!wanted) return undefined;
  if (isAbsolute(wanted)) return existsSync(wanted) ? wanted : undefined;
  const folder = modelPaths(config.home).gguf;
  const fileName = findCatalogEntry(wanted)?.fileName ?? wanted;
  const candidate = join(folder, fileName);
  return existsSync(candidate) ? candidate : undefined;
}

/** What every managed engine of this home shares: PID folder, logger, prompt logging. */
function managedEngine(
  config: ServerConfig,
  logger: Logger,
  engine: Pick<ManagedLocalEngineOptions, 'name' | 'command' | 'env' | 'hostUrl' | 'readiness' | 'watchdog'>,
): ManagedLocalEngine {
  return new ManagedLocalEngine({
    ...engine,
    logger,
    stateDir: join(config.home, 'run'),
    logPrompts: config.values.LOG_PROMPTS,
  });
}

/** A managed llama-server for `binary` serving `modelPath` at `hostUrl`. */
export function createLlamaEngine(options: {
  config: ServerConfig;
  logger: Logger;
  binary: string;
  modelPath: string;
  hostUrl: string;
  watchdog?: boolean;
}): ManagedLocalEngine {
  const v = options.config.values;
  const command = llamaServerCommand({
    binary: options.binary,
    modelPath: options.modelPath,
    hostUrl: options.hostUrl,
    allowRemote: v.ALLOW_REMOTE,
    extraArgs: v.LLAMACPP_EXTRA_ARGS,
    apiKey: v.LLAMACPP_API_KEY,
  });
  return managedEngine(options.config, options.logger, {
    name: 'llama-cpp',
    command: command.argv,
    env: command.env,
    hostUrl: options.hostUrl,
    readiness: llamaCppReadiness(),
    watchdog: options.watchdog ?? true,
  });
}

/** A managed mlx_lm.server (or the user's `MLX_LAUNCH_COMMAND`) for `model` at `hostUrl`. */
export function createMlxEngine(options: {
  config: ServerConfig;
  logger: Logger;
  python: string;
  model: string;
  hostUrl: string;
}): ManagedLocalEngine {
  const v = options.config.values;
  const command = mlxServerCommand({
    python: options.python,
    model: options.model,
    hostUrl: options.hostUrl,
    allowRemote: v.ALLOW_REMOTE,
    launchCommand: v.MLX_LAUNCH_COMMAND,
  });
  return managedEngine(options.config, options.logger, {
    name: 'mlx',
    command: command.argv,
    env: { ...command.env, HF_HUB_CACHE: hubCacheDir(options.config), ...(v.HF_TOKEN ? { HF_TOKEN: v.HF_TOKEN } : {}) },
    hostUrl: options.hostUrl,
    readiness: mlxReadiness(),
  });
}

/** Hosts the factory should probe first because the server runs engines there. */
export interface ManagedStartResult {
  llamaCpp: string[];
  mlx: string[];
}

/**
 * Starts the engines the configuration marks as managed. A managed engine that cannot start is
 * reported and skipped: the configured hosts still serve (the design's "managed first, then the
 * listed hosts").
 */
export async function startManagedEngines(context: {
  config: ServerConfig;
  logger: Logger;
  store: EngineManifestStore;
  supervisor: EngineSupervisor;
}): Promise<ManagedStartResult> {
  const { config, logger, store, supervisor } = context;
  const result: ManagedStartResult = { llamaCpp: [], mlx: [] };
  if (wantsManaged(config, 'llama_cpp')) {
    const binary = await resolveLlamaBinary(config, store);
    const model = resolveLlamaModel(config);
    if (!binary) {
      logger.error(
        'LLAMACPP_MANAGED is set but no llama-server is installed: run `autobyteus-server engines install llama-cpp` (or `up`)',
      );
    } else if (!model) {
      logger.error(
        { model: config.values.LLAMACPP_DEFAULT_MODEL },
        'LLAMACPP_MANAGED is set but LLAMACPP_DEFAULT_MODEL is missing or not pulled: run `autobyteus-server models pull <ref>`',
      );
    } else {
      const hostUrl = managedHostUrl(config, 'llama_cpp');
      const engine = supervisor.add(createLlamaEngine({ config, logger, binary, modelPath: model, hostUrl }));
      try {
        await engine.start();
        result.llamaCpp.push(hostUrl);
      } catch (error) {
        logger.error({ err: error }, 'managed llama-server did not start; continuing with the configured hosts');
      }
    }
  }
  if (wantsManaged(config, 'mlx')) {
    const python = await resolveMlxPython(config, store);
    const model = config.values.MLX_DEFAULT_MODEL;
    if (!python && !config.values.MLX_LAUNCH_COMMAND) {
      logger.error(
        'MLX_MANAGED is set but no MLX Python is installed: run `autobyteus-server engines install mlx` or set MLX_PYTHON_BIN',
      );
    } else if (!model) {
      logger.error(
        'MLX_MANAGED is set but MLX_DEFAULT_MODEL is not: set it to a Hugging Face repo id or a model folder',
      );
    } else {
      const hostUrl = managedHostUrl(config, 'mlx');
      const engine = supervisor.add(createMlxEngine({ config, logger, python: python ?? 'python3', model, hostUrl }));
      try {
        await engine.start();
        result.mlx.push(hostUrl);
      } catch (error) {
        logger.error({ err: error }, 'managed mlx_lm.server did not start; continuing with the configured hosts');
      }
    }
  }
  return result;
}

/** Process states for `/api/engines` from the supervisor. */
export function supervisorStates(supervisor: EngineSupervisor): ManagedEngineStates {
  return {
    stateOf(runtime: LocalRuntime) {
      const name = runtime === 'llama_cpp' ? 'llama-cpp' : runtime === 'mlx' ? 'mlx' : undefined;
      const status = name ? supervisor.get(name)?.status() : undefined;
      if (!status) return null;
      return {
        state: status.state,
        pid: status.pid,
        restarts: status.restarts,
        ...(status.lastError ? { lastError: status.lastError } : {}),
      };
    },
  };
}

/**
 * Hosts of managed engines this home is running right now (live PID file), so CLI commands such as
 * `chat` and `models list` find the engine `up` or `serve` started without extra configuration.
 */
export function runningManagedHosts(config: ServerConfig): ManagedStartResult {
  const running = (engine: 'llama-cpp' | 'mlx', runtime: 'llama_cpp' | 'mlx') => {
    const url = managedHostUrl(config, runtime);
    const pid = new PidFile(join(config.home, 'run'), engine, Number(new URL(url).port)).read();
    return pid !== undefined && isProcessAlive(pid) ? [url] : [];
  };
  return { llamaCpp: running('llama-cpp', 'llama_cpp'), mlx: running('mlx', 'mlx') };
}
