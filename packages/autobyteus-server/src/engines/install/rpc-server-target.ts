import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Where llama.cpp sources define the RPC server target: tools/ now, examples/ before. */
const RPC_CMAKE_FILES = ['tools/rpc/CMakeLists.txt', 'examples/rpc/CMakeLists.txt'];

/**
 * The CMake target of llama.cpp's RPC server in the source at `sourceDir`: the `set(TARGET <name>)`
 * of its rpc/CMakeLists.txt (`ggml-rpc-server` in current sources, `rpc-server` in older ones), or
 * `rpc-server` when neither file names one (the build of that target then fails, which is not
 * fatal: it is optional).
 */
export async function rpcServerTarget(sourceDir: string): Promise<string> {
  for (const file of RPC_CMAKE_FILES) {
    const text = await readFile(join(sourceDir, file), 'utf8').catch(() => undefined);
    const name = text && /^\s*set\s*\(\s*TARGET\s+([\w.+-]+)\s*\)/m.exec(text)?.[1];
    if (name) return name;
  }
  return 'rpc-server';
}
