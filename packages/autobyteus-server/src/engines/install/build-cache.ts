import { createHash, randomBytes } from 'node:crypto';
import { constants, readFileSync } from 'node:fs';
import { access, mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LLAMA_BUILD_TARGETS } from './cmake-build.js';
import { copyLlamaServerFiles } from './copy-llama-server.js';

/**
 * A cache of built llama-server binaries: a build is reused whenever the same source is built with
 * the same flags and targets on the same CPU (the test set-up, scripts/prepare-test-engines.sh,
 * installs through the product with its own cache folder). Layout:
 *
 *   <cacheDir>/llama-server-<key>/bin/llama-server (and llama-quantize and the RPC server, when they built)
 *
 * key = the first 12 hex digits of sha256(`<source identity>|<flags>|<cpu model line>|<targets>`), where
 * - source identity: the package version for `node-llama-cpp@<version>`, else `<kind>:<commit>`
 *   (see prepareSource);
 * - flags: every CMake flag in the order passed to cmake, joined by single spaces (a reordered
 *   list is a different key: a rebuild, never a wrong hit);
 * - cpu model line: the first `model name` line of /proc/cpuinfo exactly as
 *   `grep -m1 'model name' /proc/cpuinfo` prints it ('' elsewhere), because GGML_NATIVE tunes the
 *   build to this CPU;
 * - targets: the CMake targets built (LLAMA_BUILD_TARGETS), joined by single spaces, so an entry
 *   made before llama-quantize or the RPC server was built is never taken for one that has them.
 */
export function buildCacheKey(
  sourceIdentity: string,
  flags: readonly string[],
  cpuLine = cpuModelLine(),
  targets: readonly string[] = LLAMA_BUILD_TARGETS,
): string {
  return createHash('sha256')
    .update(`${sourceIdentity}|${flags.join(' ')}|${cpuLine}|${targets.join(' ')}`)
    .digest('hex')
    .slice(0, 12);
}

/** The first `model name` line of /proc/cpuinfo, without its newline; '' when there is none. */
export function cpuModelLine(): string {
  try {
    return (
      readFileSync('/proc/cpuinfo', 'utf8')
        .split('\n')
        .find((l) => l.includes('model name')) ?? ''
    );
  } catch {
    return '';
  }
}

/** Folder of one cached build. */
export function cachedBuildDir(cacheDir: string, key: string): string {
  return join(cacheDir, `llama-server-${key}`);
}

/** The cached `bin/` folder for a key, or null when there is no runnable cached build. */
export async function findCachedBuild(cacheDir: string, key: string): Promise<string | null> {
  const bin = join(cachedBuildDir(cacheDir, key), 'bin');
  for (const name of ['llama-server', 'llama-server.exe']) {
    try {
      await access(join(bin, name), constants.X_OK);
      return bin;
    } catch {
      // try the next name
    }
  }
  return null;
}

/** Stores a built `bin/` folder under its key (temp folder + rename, so readers never see half a build). */
export async function storeCachedBuild(cacheDir: string, key: string, binDir: string): Promise<void> {
  const final = cachedBuildDir(cacheDir, key);
  const temp = `${final}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  await mkdir(temp, { recursive: true });
  try {
    await copyLlamaServerFiles(binDir, join(temp, 'bin'));
    await rename(temp, final);
  } catch (error) {
    // Another process stored the same build first: theirs is as good as ours.
    if (!['EEXIST', 'ENOTEMPTY'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}
