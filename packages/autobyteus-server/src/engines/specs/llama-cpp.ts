import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { LLMRuntime } from 'autobyteus';
import type { ServerConfig } from '../../config/server-config.js';
import { findCatalogEntry } from '../../models/catalog.js';
import { modelPaths } from '../../models/model-paths.js';
import type { EngineManifestStore } from '../manifest/engine-manifest-store.js';
import { LLAMA_API_KEY_ENV, llamaServerCommand } from '../process/launch-command.js';
import { llamaCppReadiness } from '../process/readiness-probe.js';
import type { EngineSpec } from './engine-spec.js';
import { installedProgram } from './installed-program.js';

/**
 * The llama-server to run: `LLAMACPP_BINARY_PATH` when it exists (pre-bundled engines short-circuit
 * everything else), else the active installed version.
 */
export function resolveLlamaBinary(config: ServerConfig, store: EngineManifestStore): Promise<string | undefined> {
  return installedProgram(store, 'llama-cpp', config.values.LLAMACPP_BINARY_PATH);
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

/** llama.cpp's llama-server serving one GGUF file. */
export const LLAMA_CPP_SPEC: EngineSpec = {
  name: 'llama-cpp',
  runtime: LLMRuntime.LLAMA_CPP,
  displayName: 'llama-server',
  keys: {
    managed: 'LLAMACPP_MANAGED',
    port: 'LLAMACPP_MANAGED_PORT',
    hosts: 'LLAMACPP_HOSTS',
    model: 'LLAMACPP_DEFAULT_MODEL',
  },
  hostList: 'llamaCpp',
  resolveProgram: resolveLlamaBinary,
  resolveModel: resolveLlamaModel,
  async plan(config, store) {
    const program = await resolveLlamaBinary(config, store);
    if (!program) {
      return {
        ok: false,
        problem:
          'LLAMACPP_MANAGED is set but no llama-server is installed: run `autobyteus-server engines install llama-cpp` (or `up`)',
      };
    }
    const model = resolveLlamaModel(config);
    if (!model) {
      return {
        ok: false,
        problem:
          'LLAMACPP_MANAGED is set but LLAMACPP_DEFAULT_MODEL is missing or not pulled: run `autobyteus-server models pull <ref>`',
        details: { model: config.values.LLAMACPP_DEFAULT_MODEL },
      };
    }
    return { ok: true, program, model };
  },
  launchCommand(config, inputs, hostUrl) {
    const v = config.values;
    return llamaServerCommand({
      binary: inputs.program,
      modelPath: inputs.model,
      hostUrl,
      allowRemote: v.ALLOW_REMOTE,
      extraArgs: v.LLAMACPP_EXTRA_ARGS,
      alias: inputs.modelId,
      model: inputs.settings,
      rpcServers: v.LLAMACPP_RPC_SERVERS,
    });
  },
  readiness: () => llamaCppReadiness(),
  // `/health` (and `/v1/models` in some builds) answer without the key; `/props` never does.
  apiKey: { env: LLAMA_API_KEY_ENV, checkPath: '/props' },
};
