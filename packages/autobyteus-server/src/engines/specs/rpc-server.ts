import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ServerConfig } from '../../config/server-config.js';
import { LLAMA_RPC_SERVER_NAMES } from '../install/llama-server-binary.js';
import type { EngineManifestStore } from '../manifest/engine-manifest-store.js';
import { resolveLlamaBinary } from './llama-cpp.js';

/** What to do when there is no RPC server to run. */
export const NO_RPC_SERVER =
  'no llama.cpp RPC server is installed: run `autobyteus-server engines install llama-cpp --force` (builds rpc-server)';

/**
 * llama.cpp's RPC server for `autobyteus-server worker`: the one beside the llama-server this home
 * runs (LLAMACPP_BINARY_PATH when it exists, else the active llama-cpp version's `bin/`), named
 * ggml-rpc-server or rpc-server as the build made it. Undefined when there is none (an install
 * from before source builds made it, or a build where it failed).
 */
export async function resolveRpcServer(config: ServerConfig, store: EngineManifestStore): Promise<string | undefined> {
  const llamaServer = await resolveLlamaBinary(config, store);
  if (!llamaServer) return undefined;
  const folder = dirname(llamaServer);
  return LLAMA_RPC_SERVER_NAMES.map((name) => join(folder, name)).find((path) => existsSync(path));
}
