import type { LLMRuntime, LocalRuntime } from 'autobyteus';
import type { ConfigEnvName } from '../../config/config-keys.js';
import type { ModelSettings } from '../../config/model-settings.js';
import type { ConfigValues, ServerConfig } from '../../config/server-config.js';
import type { EngineManifestStore } from '../manifest/engine-manifest-store.js';
import type { EngineKeyOptions } from '../process/engine-key.js';
import type { LaunchCommand } from '../process/launch-command.js';
import type { ReadinessProbe } from '../process/readiness-probe.js';
import type { EngineName } from './engine-name.js';
import { LLAMA_CPP_SPEC } from './llama-cpp.js';
import { MLX_SPEC } from './mlx.js';

/** The library runtimes the server can run an engine for. */
export type ManagedRuntime = LLMRuntime.LLAMA_CPP | LLMRuntime.MLX;

/** Configuration keys whose value has type `T`. */
type KeyOfType<T> = { [K in ConfigEnvName]: ConfigValues[K] extends T ? K : never }[ConfigEnvName];

/** What a managed engine runs: the program (binary or Python) and the model it serves. */
export interface EngineLaunchInputs {
  program: string;
  /** GGUF path (llama.cpp) or repo id / folder (MLX). */
  model: string;
  /** The model's id, reported by the engine as its name where the engine allows (`--alias`). */
  modelId?: string;
  /** The model's `[models."…"]` settings. */
  settings?: ModelSettings;
}

/** Whether the configuration and the home have what the engine needs, and if not, what to do about it. */
export type EnginePlan =
  | ({ ok: true } & EngineLaunchInputs)
  | { ok: false; problem: string; details?: Record<string, unknown> };

/**
 * Everything that differs between the managed engines, as data and small functions: start-up,
 * `engines start|stop|status`, listings and `/api/engines` iterate {@link ENGINE_SPECS} instead of
 * branching on the name. Adding an engine means adding a spec (and its launch command and probe).
 */
export interface EngineSpec {
  readonly name: EngineName;
  /** The library runtime its models are served under. */
  readonly runtime: ManagedRuntime;
  /** The program's name in messages (`llama-server`, `mlx_lm.server`). */
  readonly displayName: string;
  /** The configuration keys it reads; the default port is the `port` key's default in `config-keys.ts`. */
  readonly keys: {
    /** Run it under the server. */
    managed: KeyOfType<boolean>;
    /** Port of the managed engine on 127.0.0.1. */
    port: KeyOfType<number>;
    /** External hosts of this runtime (named when the managed port is taken by a stranger). */
    hosts: KeyOfType<string[] | undefined>;
    /** What it serves by default. */
    model: KeyOfType<string | undefined>;
  };
  /** Which extra-host list of the library settings (`toLibrarySettings`) its managed host joins. */
  readonly hostList: 'llamaCpp' | 'mlx';
  /** The program to run: the configured path when it exists, else the active installed version. */
  resolveProgram(config: ServerConfig, store: EngineManifestStore): Promise<string | undefined>;
  /** The model to serve, or undefined when none is configured (or, for files, pulled). */
  resolveModel(config: ServerConfig): string | undefined;
  /** What it would run, or the problem that keeps it from starting (for the start-up log). */
  plan(config: ServerConfig, store: EngineManifestStore): Promise<EnginePlan>;
  /** argv and environment of the engine serving `inputs.model` at `hostUrl`. */
  launchCommand(config: ServerConfig, inputs: EngineLaunchInputs, hostUrl: string): LaunchCommand;
  /** How to tell that a fresh process takes requests. */
  readiness(): ReadinessProbe;
  /** How the engine is locked with a per-launch key; absent when it has no API key option (mlx_lm.server). */
  readonly apiKey?: EngineKeyOptions;
}

/** The managed engines, keyed by name; iteration order is start-up order. */
export const ENGINE_SPECS: Readonly<Record<EngineName, EngineSpec>> = {
  'llama-cpp': LLAMA_CPP_SPEC,
  mlx: MLX_SPEC,
};

/** Every spec, in start-up order. */
export function engineSpecs(): EngineSpec[] {
  return Object.values(ENGINE_SPECS);
}

/** The spec of the engine that serves `runtime`, if the server can run one for it. */
export function specForRuntime(runtime: LocalRuntime): EngineSpec | undefined {
  return engineSpecs().find((spec) => spec.runtime === runtime);
}
