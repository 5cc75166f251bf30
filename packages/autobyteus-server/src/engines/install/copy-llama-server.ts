import { cp, mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LLAMA_QUANTIZE_NAMES, LLAMA_RPC_SERVER_NAMES, LLAMA_SERVER_NAMES } from './llama-server-binary.js';

const SHARED_LIBRARY = /\.(so(\.\d+)*|dylib|dll)$/;

/** The programs of a build that are installed: llama-server and, when built, the optional ones. */
const PROGRAMS = [...LLAMA_SERVER_NAMES, ...LLAMA_QUANTIZE_NAMES, ...LLAMA_RPC_SERVER_NAMES];

/**
 * Copies llama-server, llama-quantize and the RPC server when they are there, and the shared
 * libraries beside them (present when built with BUILD_SHARED_LIBS=ON) from a build's `bin/`
 * folder; the other build products stay behind. Library symlinks (libllama.so -> libllama.so.0) are kept as links.
 */
export async function copyLlamaServerFiles(fromDir: string, toDir: string): Promise<void> {
  await mkdir(toDir, { recursive: true });
  const names = (await readdir(fromDir)).filter((n) => PROGRAMS.includes(n) || SHARED_LIBRARY.test(n));
  if (!names.some((n) => LLAMA_SERVER_NAMES.includes(n))) throw new Error(`no llama-server in ${fromDir}`);
  for (const name of names) {
    await cp(join(fromDir, name), join(toDir, name), { verbatimSymlinks: true, preserveTimestamps: true });
  }
}
