import { constants } from 'node:fs';
import { access, chmod, readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runCommand } from './run-command.js';

export const LLAMA_SERVER_NAMES = ['llama-server', 'llama-server.exe'];

/**
 * llama.cpp's model quantiser, installed beside llama-server when the build or archive has it
 * (optional: the engine is llama-server; llama-quantize makes other quantisations of a GGUF).
 */
export const LLAMA_QUANTIZE_NAMES = ['llama-quantize', 'llama-quantize.exe'];

/**
 * llama.cpp's RPC server (`autobyteus-server worker` runs it), installed beside llama-server when
 * the build or archive has it. Current llama.cpp names it ggml-rpc-server, older releases
 * rpc-server; the first name found wins.
 */
export const LLAMA_RPC_SERVER_NAMES = ['ggml-rpc-server', 'rpc-server', 'ggml-rpc-server.exe', 'rpc-server.exe'];

/**
 * Finds llama-server inside an unpacked archive or folder: the shallowest match, breadth first,
 * at most `maxDepth` folders down (release archives put it under `llama-<tag>/` or `build/bin/`).
 */
export async function findLlamaServer(root: string, maxDepth = 6): Promise<string | null> {
  let level = [root];
  for (let depth = 0; depth <= maxDepth && level.length > 0; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
      entries.sort((a, b) => a.name.localeCompare(b.name));
      for (const entry of entries) {
        if (entry.isFile() && LLAMA_SERVER_NAMES.includes(entry.name)) return join(dir, entry.name);
      }
      for (const entry of entries) if (entry.isDirectory()) next.push(join(dir, entry.name));
    }
    level = next;
  }
  return null;
}

/**
 * Moves the folder holding llama-server to `<stagingDir>/bin` (keeping the shared libraries next
 * to it, which the binary finds via its rpath) and drops the rest of the unpacked tree.
 */
export async function moveLlamaServerToBin(unpacked: string, stagingDir: string, origin: string): Promise<string> {
  const binary = await findLlamaServer(unpacked);
  if (!binary) throw new Error(`no llama-server binary found in ${origin}`);
  const bin = join(stagingDir, 'bin');
  await rename(dirname(binary), bin);
  await rm(unpacked, { recursive: true, force: true });
  const installed = join(bin, binary.slice(dirname(binary).length + 1));
  await ensureExecutable(installed);
  return installed;
}

/** Zips made on Windows carry no Unix modes: make the binary runnable. */
export async function ensureExecutable(path: string): Promise<void> {
  if (process.platform === 'win32') return;
  try {
    await access(path, constants.X_OK);
  } catch {
    await chmod(path, (await stat(path)).mode | 0o755);
  }
}

/**
 * Turns `llama-server --version` output into our version name `b<build>-<commit>`. Knows both
 * forms llama.cpp has printed: `version: 0.4.0-dev (build 1, commit 80fb11a)` and `version: 6123 (1a2b3c4d)`.
 */
export function parseLlamaServerVersion(output: string): string | null {
  const modern = /version:\s*\S+\s*\(build (\d+), commit ([0-9a-f]+)\)/.exec(output);
  if (modern) return `b${modern[1]}-${modern[2]}`;
  const classic = /version:\s*(\d+)\s*\(([0-9a-f]+)\)/.exec(output);
  if (classic) return `b${classic[1]}-${classic[2]}`;
  return null;
}

/**
 * Runs `llama-server --version` (it prints to stderr) and parses it. `version` is null when the
 * binary does not run here (other OS or CPU, missing libraries) or prints something unknown.
 */
export async function readLlamaServerVersion(binary: string): Promise<{ version: string | null; output: string }> {
  try {
    const result = await runCommand(binary, ['--version'], { timeoutMs: 15_000, maxCapture: 16 * 1024 });
    const output = `${result.stderr}\n${result.stdout}`.trim();
    return { version: result.code === 0 ? parseLlamaServerVersion(output) : null, output };
  } catch (error) {
    return { version: null, output: (error as Error).message };
  }
}
