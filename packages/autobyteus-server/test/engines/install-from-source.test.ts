import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCacheKey, cachedBuildDir, cpuModelLine } from '../../src/engines/install/build-cache.js';
import {
  BuildError,
  LLAMA_BASE_CMAKE_FLAGS,
  LLAMA_BUILD_TARGETS,
  nativeBuildSafetyFlags,
  parseBuildProgress,
} from '../../src/engines/install/cmake-build.js';
import { installFromSource } from '../../src/engines/install/install-from-source.js';
import { readLlamaServerVersion } from '../../src/engines/install/llama-server-binary.js';
import { engineHome } from './support/engine-home.js';
import { fakeCmakeProject } from './support/fake-cmake-project.js';
import {
  emptyBuildCache,
  FIXTURE_NPM_VERSION,
  fixtureBundle,
  fixtureNpmTarball,
  fixtureRepo,
} from './support/llama-source-fixtures.js';

/** The flags every build on this machine gets (the AMX-off flags where the CPU reports AMX). */
const FLAGS = [...LLAMA_BASE_CMAKE_FLAGS, ...nativeBuildSafetyFlags()];

describe('build progress', () => {
  it('parses Ninja and Make progress lines', () => {
    expect(parseBuildProgress('[12/48] Building CXX object ggml/src/ggml.c.o')).toBe(0.25);
    expect(parseBuildProgress('[ 45%] Building C object x.o')).toBe(0.45);
    expect(parseBuildProgress('-- Configuring done')).toBeNull();
  });
});

describe('build cache key', () => {
  it('is sha256(identity|flags|cpu line|targets), the targets being llama-server, llama-quantize and rpc-server', () => {
    const flags = LLAMA_BASE_CMAKE_FLAGS.join(' ');
    const shell = (format: string, ...extra: string[]) =>
      execFileSync(
        'bash',
        [
          '-c',
          `printf '${format}' "3.21.1" "${flags}" "$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null)" ${extra.join(' ')} | sha256sum | cut -c1-12`,
        ],
        { encoding: 'utf8' },
      ).trim();
    expect(LLAMA_BUILD_TARGETS).toEqual(['llama-server', 'llama-quantize', 'rpc-server']);
    expect(buildCacheKey('3.21.1', LLAMA_BASE_CMAKE_FLAGS)).toBe(
      shell('%s|%s|%s|%s', '"llama-server llama-quantize rpc-server"'),
    );
    // The keys before llama-quantize and the RPC server were built: such entries are never a hit.
    expect(buildCacheKey('3.21.1', LLAMA_BASE_CMAKE_FLAGS)).not.toBe(shell('%s|%s|%s'));
    expect(buildCacheKey('3.21.1', LLAMA_BASE_CMAKE_FLAGS)).not.toBe(
      shell('%s|%s|%s|%s', '"llama-server llama-quantize"'),
    );
    expect(cpuModelLine()).not.toMatch(/\n/);
  });
});

describe('installFromSource (tiny fake CMake project for the mechanics)', () => {
  it('builds llama-server, llama-quantize and the RPC server out of tree, streams output and progress, installs them in bin/', async () => {
    const { store, folders } = engineHome();
    const src = fakeCmakeProject();
    const lines: string[] = [];
    const progress: number[] = [];
    const installed = await installFromSource({
      store,
      source: { kind: 'checkout', path: src },
      cmakeFlags: ['-DGGML_CUDA=ON'],
      onOutput: (line) => lines.push(line),
      onProgress: (f) => progress.push(f),
    });
    expect(installed).toMatchObject({ version: 'b7-abc1234', active: true });
    expect(installed.entry).toMatchObject({
      source: 'source',
      buildFlags: [...FLAGS, '-DGGML_CUDA=ON'],
      origin: `checkout ${src}`,
    });
    expect(readdirSync(installed.dir).sort()).toEqual(['bin', 'install.json']);
    expect(readdirSync(join(installed.dir, 'bin')).sort()).toEqual([
      'ggml-rpc-server',
      'llama-quantize',
      'llama-server',
    ]);
    expect((await readLlamaServerVersion(installed.path)).output).toContain('backend: cuda');
    expect(lines).toContain(
      `building llama-server, llama-quantize, ggml-rpc-server with ${[...FLAGS, '-DGGML_CUDA=ON'].join(' ')}`,
    );
    expect(lines.some((l) => /Build files have been written/.test(l))).toBe(true);
    expect(lines.some((l) => /other-tool/.test(l))).toBe(false);
    expect(lines.some((l) => /^warning:/.test(l))).toBe(false);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(readdirSync(src).sort()).toEqual(['CMakeLists.txt', 'other.c', 'quantize.c', 'server.c', 'tools']);
    expect(folders('llama-cpp')).toEqual(['b7-abc1234']);
  }, 60_000);

  it('stores a build in the cache and reuses it next time, fetching nothing', async () => {
    const bundle = fixtureBundle();
    const cache = emptyBuildCache();
    const first = engineHome();
    const lines: string[] = [];
    await installFromSource({
      store: first.store,
      source: { kind: 'bundle', path: bundle.path },
      buildCacheDir: cache,
      onOutput: (l) => lines.push(l),
    });
    const key = buildCacheKey(`bundle:${bundle.commit}`, FLAGS);
    expect(readdirSync(join(cachedBuildDir(cache, key), 'bin')).sort()).toEqual([
      'ggml-rpc-server',
      'llama-quantize',
      'llama-server',
    ]);
    expect(lines).toContain(`stored the build in ${cache}`);

    // An exact node-llama-cpp version is a cache key known before fetching: a hit needs no npm at all.
    const npmKey = buildCacheKey('3.21.1', FLAGS);
    cpSync(cachedBuildDir(cache, key), cachedBuildDir(cache, npmKey), { recursive: true });
    const second = engineHome();
    const again: string[] = [];
    const installed = await installFromSource({
      store: second.store,
      source: { kind: 'npm-tarball', spec: 'node-llama-cpp@3.21.1' },
      buildCacheDir: cache,
      onOutput: (l) => again.push(l),
    });
    expect(installed.version).toBe('b9-abc1234');
    expect(again).toEqual([`reusing the cached build ${join(cachedBuildDir(cache, npmKey), 'bin')}`]);
    expect(readdirSync(join(installed.dir, 'bin')).sort()).toEqual([
      'ggml-rpc-server',
      'llama-quantize',
      'llama-server',
    ]);
  }, 60_000);

  it('installs llama-server without llama-quantize, with a warning, when only llama-quantize fails to build', async () => {
    const { store } = engineHome();
    const cache = emptyBuildCache();
    const lines: string[] = [];
    const warnings: string[] = [];
    const progress: number[] = [];
    const installed = await installFromSource({
      store,
      source: { kind: 'checkout', path: fakeCmakeProject({ brokenQuantize: true }) },
      buildCacheDir: cache,
      onOutput: (l) => lines.push(l),
      onWarning: (w) => warnings.push(w),
      onProgress: (f) => progress.push(f),
    });
    expect(installed).toMatchObject({ version: 'b7-abc1234', active: true });
    expect(readdirSync(join(installed.dir, 'bin')).sort()).toEqual(['ggml-rpc-server', 'llama-server']);
    expect(await readLlamaServerVersion(installed.path)).toMatchObject({ version: 'b7-abc1234' });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^llama-quantize did not build; installing llama-server without it:\n/);
    expect(warnings[0]).toMatch(/quantize\.c/);
    expect(lines).toContain('building llama-server, llama-quantize, ggml-rpc-server one by one: not all of them built');
    expect(progress.at(-1)).toBe(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  }, 60_000);

  it('installs llama-server and llama-quantize without the RPC server, with a warning, when only it fails to build', async () => {
    const { store } = engineHome();
    const warnings: string[] = [];
    const installed = await installFromSource({
      store,
      source: { kind: 'checkout', path: fakeCmakeProject({ brokenRpc: true }) },
      onWarning: (w) => warnings.push(w),
    });
    expect(readdirSync(join(installed.dir, 'bin')).sort()).toEqual(['llama-quantize', 'llama-server']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^ggml-rpc-server did not build; installing llama-server without it:\n/);
    expect(warnings[0]).toMatch(/rpc-server\.c/);
  }, 60_000);

  it('warns (as an output line by default) when a reused cached build has no llama-quantize or no RPC server', async () => {
    const first = engineHome();
    const cache = emptyBuildCache();
    const bundle = fixtureBundle();
    await installFromSource({
      store: first.store,
      source: { kind: 'bundle', path: bundle.path },
      buildCacheDir: cache,
    });
    const key = buildCacheKey(`bundle:${bundle.commit}`, FLAGS);
    rmSync(join(cachedBuildDir(cache, key), 'bin', 'llama-quantize'));
    const second = engineHome();
    const lines: string[] = [];
    const installed = await installFromSource({
      store: second.store,
      source: { kind: 'bundle', path: bundle.path },
      buildCacheDir: cache,
      onOutput: (l) => lines.push(l),
    });
    expect(readdirSync(join(installed.dir, 'bin')).sort()).toEqual(['ggml-rpc-server', 'llama-server']);
    expect(lines).toContain('warning: the cached build has no llama-quantize (it did not build from this source)');
    expect(lines.filter((l) => l.startsWith('warning:'))).toHaveLength(1);

    rmSync(join(cachedBuildDir(cache, key), 'bin', 'ggml-rpc-server'));
    const third = engineHome();
    const more: string[] = [];
    await installFromSource({
      store: third.store,
      source: { kind: 'bundle', path: bundle.path },
      buildCacheDir: cache,
      onOutput: (l) => more.push(l),
    });
    expect(more).toContain('warning: the cached build has no rpc-server (it did not build from this source)');
  }, 60_000);

  it('reports a failed build with the compiler error and leaves nothing installed', async () => {
    const { store, folders, manifestText } = engineHome();
    const error = await installFromSource({
      store,
      source: { kind: 'checkout', path: fakeCmakeProject({ broken: true }) },
    }).catch((e) => e);
    expect(error).toBeInstanceOf(BuildError);
    expect(error.message).toMatch(/^cmake build of llama-server failed \(exit 1\):/);
    expect(error.message).toMatch(/this|error/);
    expect(folders('llama-cpp')).toEqual([]);
    expect(manifestText()).toBeNull();
  }, 60_000);

  it('says what is wrong with a source that is not a CMake project', async () => {
    const { store } = engineHome();
    await expect(installFromSource({ store, source: { kind: 'checkout', path: tmpdir() } })).rejects.toThrow(
      /has no CMakeLists.txt/,
    );
    await expect(
      installFromSource({ store, source: { kind: 'git', url: '--upload-pack=evil', ref: 'x' } }),
    ).rejects.toThrow(/invalid git URL/);
  });
});

/** Installed, active in the manifest, and the binary runs and reports the fixture's version. */
async function expectActiveAndRunning(home: ReturnType<typeof engineHome>, version: string) {
  const record = (await home.store.read()).engines['llama-cpp'];
  expect(record.active).toBe(version);
  const path = record.versions[version]?.path ?? '';
  expect(path).toBe(join(home.home, 'engines', 'llama-cpp', version, 'bin', 'llama-server'));
  expect(await readLlamaServerVersion(path)).toMatchObject({ version });
}

// Every source kind on an empty home and an empty build cache: the paths a fresh machine takes.
describe('installFromSource from each source kind, cold', () => {
  it('npm: a node-llama-cpp-shaped tarball through `npm pack`, keyed in the cache by its version', async () => {
    const home = engineHome();
    const cache = emptyBuildCache();
    const tarball = fixtureNpmTarball();
    const lines: string[] = [];
    const installed = await installFromSource({
      store: home.store,
      source: { kind: 'npm-tarball', spec: tarball },
      buildCacheDir: cache,
      onOutput: (l) => lines.push(l),
    });
    expect(installed).toMatchObject({ version: 'b9-abc1234', active: true });
    expect(installed.entry.origin).toBe(`npm ${tarball}`);
    expect(lines).toContain(`fetching ${tarball} from the npm registry (npm pack)`);
    await expectActiveAndRunning(home, 'b9-abc1234');
    const key = buildCacheKey(FIXTURE_NPM_VERSION, FLAGS);
    expect(existsSync(join(cachedBuildDir(cache, key), 'bin', 'llama-server'))).toBe(true);
    expect(home.folders('llama-cpp')).toEqual(['b9-abc1234']);
  }, 60_000);

  it('bundle: a git bundle file', async () => {
    const home = engineHome();
    const bundle = fixtureBundle();
    const installed = await installFromSource({
      store: home.store,
      source: { kind: 'bundle', path: bundle.path },
      buildCacheDir: emptyBuildCache(),
    });
    expect(installed.entry.origin).toBe(`bundle ${bundle.path}`);
    await expectActiveAndRunning(home, 'b9-abc1234');
  }, 60_000);

  it('git: the URL of a local repository at a tag', async () => {
    const home = engineHome();
    const repo = fixtureRepo();
    const installed = await installFromSource({
      store: home.store,
      source: { kind: 'git', url: repo.dir, ref: 'v1' },
      buildCacheDir: emptyBuildCache(),
    });
    expect(installed.entry.origin).toBe(`git ${repo.dir}#v1`);
    await expectActiveAndRunning(home, 'b9-abc1234');
  }, 60_000);

  it('checkout: a folder on disk, built out of tree', async () => {
    const home = engineHome();
    const repo = fixtureRepo();
    const installed = await installFromSource({
      store: home.store,
      source: { kind: 'checkout', path: repo.dir },
      buildCacheDir: emptyBuildCache(),
    });
    expect(installed.entry.origin).toBe(`checkout ${repo.dir}`);
    await expectActiveAndRunning(home, 'b9-abc1234');
    expect(readdirSync(repo.dir).sort()).toEqual([
      '.git',
      'CMakeLists.txt',
      'other.c',
      'quantize.c',
      'server.c',
      'tools',
    ]);
  }, 60_000);

  it('npm: a package that does not exist is npm\'s own error, not "npm is not on PATH"', async () => {
    const home = engineHome();
    const missing = join(emptyBuildCache(), 'no-such-package.tgz');
    const error = await installFromSource({
      store: home.store,
      source: { kind: 'npm-tarball', spec: missing },
      buildCacheDir: emptyBuildCache(),
    }).catch((e) => e);
    expect(error.message).toMatch(new RegExp(`^npm pack ${missing} failed:\n`));
    expect(error.message).not.toMatch(/not on PATH/);
    expect(home.folders('llama-cpp')).toEqual([]);
  }, 60_000);
});
