import { LLMRuntime } from 'autobyteus';
import type { ServerConfig } from '../../config/server-config.js';
import { hubCacheDir } from '../../models/hub-cache-dir.js';
import type { EngineManifestStore } from '../manifest/engine-manifest-store.js';
import { mlxServerCommand } from '../process/launch-command.js';
import { mlxReadiness } from '../process/readiness-probe.js';
import type { EngineSpec } from './engine-spec.js';
import { installedProgram } from './installed-program.js';

/** The Python for MLX: `MLX_PYTHON_BIN`, else the active managed venv. */
export function resolveMlxPython(config: ServerConfig, store: EngineManifestStore): Promise<string | undefined> {
  return installedProgram(store, 'mlx', config.values.MLX_PYTHON_BIN);
}

/** mlx-lm's mlx_lm.server (or the user's `MLX_LAUNCH_COMMAND`) serving a Hugging Face repo or folder. */
export const MLX_SPEC: EngineSpec = {
  name: 'mlx',
  runtime: LLMRuntime.MLX,
  displayName: 'mlx_lm.server',
  keys: { managed: 'MLX_MANAGED', port: 'MLX_MANAGED_PORT', hosts: 'MLX_HOSTS', model: 'MLX_DEFAULT_MODEL' },
  hostList: 'mlx',
  resolveProgram: resolveMlxPython,
  resolveModel: (config) => config.values.MLX_DEFAULT_MODEL,
  async plan(config, store) {
    const python = await resolveMlxPython(config, store);
    // A launch command of the user's own needs no managed Python; `python3` only fills the slot.
    if (!python && !config.values.MLX_LAUNCH_COMMAND) {
      return {
        ok: false,
        problem:
          'MLX_MANAGED is set but no MLX Python is installed: run `autobyteus-server engines install mlx` or set MLX_PYTHON_BIN',
      };
    }
    const model = config.values.MLX_DEFAULT_MODEL;
    if (!model) {
      return {
        ok: false,
        problem: 'MLX_MANAGED is set but MLX_DEFAULT_MODEL is not: set it to a Hugging Face repo id or a model folder',
      };
    }
    return { ok: true, program: python ?? 'python3', model };
  },
  launchCommand(config, inputs, hostUrl) {
    const v = config.values;
    const command = mlxServerCommand({
      python: inputs.program,
      model: inputs.model,
      hostUrl,
      allowRemote: v.ALLOW_REMOTE,
      launchCommand: v.MLX_LAUNCH_COMMAND,
    });
    return {
      argv: command.argv,
      env: { ...command.env, HF_HUB_CACHE: hubCacheDir(config), ...(v.HF_TOKEN ? { HF_TOKEN: v.HF_TOKEN } : {}) },
    };
  },
  readiness: () => mlxReadiness(),
};
