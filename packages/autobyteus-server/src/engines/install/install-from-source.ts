import { readdir, rm } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { sha256File } from '../../io/hash.js';
import { buildCacheKey, findCachedBuild, storeCachedBuild } from './build-cache.js';
import { cmakeBuild, LLAMA_BASE_CMAKE_FLAGS, LLAMA_BUILD_TARGETS, nativeBuildSafetyFlags } from './cmake-build.js';
import { commitInstall, type InstalledEngine, type InstallTarget } from './commit-install.js';
import { copyLlamaServerFiles } from './copy-llama-server.js';
import {
  findLlamaServer,
  LLAMA_QUANTIZE_NAMES,
  LLAMA_RPC_SERVER_NAMES,
  readLlamaServerVersion,
} from './llama-server-binary.js';
import { rpcServerTarget } from './rpc-server-target.js';
import { describeSource, identityBeforeFetch, prepareSource, type SourceSpec } from './source-checkout.js';
import { withStaging } from './staging.js';

export type { SourceSpec } from './source-checkout.js';

export interface SourceInstallOptions extends InstallTarget {
  source: SourceSpec;
  /** Backend flags (chooseLlamaBuild's cmakeFlags), added after LLAMA_BASE_CMAKE_FLAGS. */
  cmakeFlags?: readonly string[];
  /** Every line of git/cmake/compiler output, plus our own notes. */
  onOutput?: (line: string) => void;
  /**
   * Something the user should see although the install goes on, such as llama-quantize or the RPC
   * server failing to build (default: an onOutput line starting `warning: `).
   */
  onWarning?: (message: string) => void;
  /** Build progress from 0 to 1 (1 at once when a cached build is reused). */
  onProgress?: (fraction: number) => void;
  /**
   * Build cache folder (LLAMACPP_BUILD_CACHE): a build of the same source, flags and CPU found
   * there is copied instead of rebuilt, and a new build is stored there. See buildCacheKey.
   */
  buildCacheDir?: string;
  jobs?: number;
  signal?: AbortSignal;
}

/** The optional programs of a build, by the name LLAMA_BUILD_TARGETS gives them. */
const OPTIONAL_PROGRAMS: Record<string, readonly string[]> = {
  'llama-quantize': LLAMA_QUANTIZE_NAMES,
  'rpc-server': LLAMA_RPC_SERVER_NAMES,
};

/**
 * Builds llama-server from source with CMake and installs it as `engines/llama-cpp/<version>/bin/`,
 * version `b<build>-<commit>` as the binary reports it, with llama-quantize and the RPC server
 * (ggml-rpc-server or rpc-server, as the source names it) beside it, built in the same invocation;
 * when one of those fails to build, the install goes on without it and warns. The source is
 * fetched and built inside the staging folder (an existing checkout is built out of tree) and
 * everything but the binaries is dropped before the version folder is put in place.
 */
export async function installFromSource(options: SourceInstallOptions): Promise<InstalledEngine> {
  const flags = [...LLAMA_BASE_CMAKE_FLAGS, ...nativeBuildSafetyFlags(), ...(options.cmakeFlags ?? [])];
  const say = (line: string) => options.onOutput?.(line);
  const warn = options.onWarning ?? ((message: string) => say(`warning: ${message}`));
  const cacheDir = options.buildCacheDir;
  const lookup = async (identity: string | null) =>
    cacheDir && identity ? findCachedBuild(cacheDir, buildCacheKey(identity, flags)) : null;

  return withStaging(options.store.enginesDir, 'llama-cpp', async (staging) => {
    const work = join(staging, 'work');
    const bin = join(staging, 'bin');
    let identity = identityBeforeFetch(options.source);
    let cached = await lookup(identity);
    if (!cached) {
      say(`preparing ${describeSource(options.source)}`);
      const prepared = await prepareSource(options.source, work, {
        ...(options.onOutput ? { onOutput: options.onOutput } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      identity = prepared.identity;
      cached = await lookup(identity);
      if (!cached) {
        const [target, ...optional] = LLAMA_BUILD_TARGETS as [string, ...string[]];
        const rpcTarget = await rpcServerTarget(prepared.dir);
        const optionalTargets = optional.map((name) => (name === 'rpc-server' ? rpcTarget : name));
        say(`building ${[target, ...optionalTargets].join(', ')} with ${flags.join(' ')}`);
        const buildDir = join(work, 'build');
        const { optionalFailures } = await cmakeBuild({
          sourceDir: prepared.dir,
          buildDir,
          flags,
          target,
          optionalTargets,
          ...(options.jobs ? { jobs: options.jobs } : {}),
          ...(options.onOutput ? { onOutput: options.onOutput } : {}),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        const built = (await findLlamaServer(join(buildDir, 'bin'), 0)) ?? (await findLlamaServer(buildDir));
        if (!built) throw new Error(`the build finished but produced no llama-server under ${buildDir}`);
        for (const failure of optionalFailures) {
          warn(`${failure.target} did not build; installing llama-server without it:\n${failure.output}`);
        }
        await copyLlamaServerFiles(dirname(built), bin);
        if (cacheDir && identity) {
          await storeCachedBuild(cacheDir, buildCacheKey(identity, flags), bin);
          say(`stored the build in ${cacheDir}`);
        } else if (cacheDir) {
          say('not caching this build: the source has uncommitted changes');
        }
      }
    }
    if (cached) {
      say(`reusing the cached build ${cached}`);
      await copyLlamaServerFiles(cached, bin);
      options.onProgress?.(1);
    }
    await rm(work, { recursive: true, force: true });

    const binary = await findLlamaServer(bin, 0);
    if (!binary) throw new Error(`no llama-server in ${bin}`);
    if (cached) {
      const present = await readdir(bin);
      for (const [program, names] of Object.entries(OPTIONAL_PROGRAMS)) {
        if (!present.some((n) => names.includes(n))) {
          warn(`the cached build has no ${program} (it did not build from this source)`);
        }
      }
    }
    const { version, output } = await readLlamaServerVersion(binary);
    if (!version) throw new Error(`the built llama-server does not report its version (--version printed: ${output})`);
    return commitInstall(options, {
      engine: 'llama-cpp',
      version,
      stagingDir: staging,
      receipt: {
        source: 'source',
        path: relative(staging, binary),
        checksum: await sha256File(binary),
        buildFlags: flags,
        origin: describeSource(options.source),
      },
    });
  });
}
