import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCacheKey, cachedBuildDir, cpuModelLine } from '../../src/engines/install/build-cache.js';
import { BuildError, LLAMA_BASE_CMAKE_FLAGS, parseBuildProgress } from '../../src/engines/install/cmake-build.js';
import { installFromSource } from '../../src/engines/install/install-from-source.js';
import { readLlamaServerVersion } from '../../src/engines/install/llama-server-binary.js';
import { runCommand } from '../../src/engines/install/run-command.js';
import { engineHome } from './support/engine-home.js';
import { fakeCmakeProject } from './support/fake-cmake-project.js';
import { REAL_LLAMA_SERVER, TEST_CACHE } from './support/fake-llama.js';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.email=t@t', '-c', 'user.name=t', ...args], { cwd, encoding: 'utf8' }).trim();

/** The fake project as a git repository with one commit (tagged v1); returns [dir, commit]. */
function fakeRepo(): [string, string] {
  const dir = fakeCmakeProject({ build: 9 });
  git(dir, 'init', '-q');
  git(dir, 'add', '.');
  git(dir, 'commit', '-q', '-m', 'fake llama');
  git(dir, 'tag', 'v1');
  return [dir, git(dir, 'rev-parse', 'HEAD')];
}

describe('build progress', () => {
  it('parses Ninja and Make progress lines', () => {
    expect(parseBuildProgress('[12/48] Building CXX object ggml/src/ggml.c.o')).toBe(0.25);
    expect(parseBuildProgress('[ 45%] Building C object x.o')).toBe(0.45);
    expect(parseBuildProgress('-- Configuring done')).toBeNull();
  });
});

describe('build cache key', () => {
  it('is computed exactly like scripts/prepare-test-engines.sh', () => {
    const flags = LLAMA_BASE_CMAKE_FLAGS.join(' ');
    const script = execFileSync(
      'bash',
      [
        '-c',
        `printf '%s|%s|%s' "3.21.1" "${flags}" "$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null)" | sha256sum | cut -c1-12`,
      ],
      { encoding: 'utf8' },
    ).trim();
    expect(buildCacheKey('3.21.1', LLAMA_BASE_CMAKE_FLAGS)).toBe(script);
    expect(cpuModelLine()).not.toMatch(/\n/);
  });
});

describe('installFromSource (tiny fake CMake project for the mechanics)', () => {
  it('builds only llama-server out of tree, streams output and progress, installs bin/llama-server', async () => {
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
      buildFlags: [...LLAMA_BASE_CMAKE_FLAGS, '-DGGML_CUDA=ON'],
      origin: `checkout ${src}`,
    });
    expect(readdirSync(installed.dir).sort()).toEqual(['bin', 'install.json']);
    expect(readdirSync(join(installed.dir, 'bin'))).toEqual(['llama-server']);
    expect((await readLlamaServerVersion(installed.path)).output).toContain('backend: cuda');
    expect(lines.some((l) => /Build files have been written/.test(l))).toBe(true);
    expect(lines.some((l) => /other-tool/.test(l))).toBe(false);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(1);
    expect(readdirSync(src).sort()).toEqual(['CMakeLists.txt', 'other.c', 'server.c']);
    expect(folders('llama-cpp')).toEqual(['b7-abc1234']);
  }, 60_000);

  it('builds a git bundle, stores the build in the cache, and reuses it next time', async () => {
    const [repo, commit] = fakeRepo();
    const bundle = join(mkdtempSync(join(tmpdir(), 'autobyteus-bundle-')), 'src.bundle');
    git(repo, 'bundle', 'create', '-q', bundle, '--all');
    const cache = mkdtempSync(join(tmpdir(), 'autobyteus-build-cache-'));
    const first = engineHome();
    const lines: string[] = [];
    await installFromSource({
      store: first.store,
      source: { kind: 'bundle', path: bundle },
      buildCacheDir: cache,
      onOutput: (l) => lines.push(l),
    });
    const key = buildCacheKey(`bundle:${commit}`, LLAMA_BASE_CMAKE_FLAGS);
    expect(existsSync(join(cachedBuildDir(cache, key), 'bin', 'llama-server'))).toBe(true);
    expect(lines).toContain(`stored the build in ${cache}`);

    const second = engineHome();
    const again: string[] = [];
    const installed = await installFromSource({
      store: second.store,
      source: { kind: 'bundle', path: bundle },
      buildCacheDir: cache,
      onOutput: (l) => again.push(l),
    });
    expect(installed.version).toBe('b9-abc1234');
    expect(again).toContain(`reusing the cached build ${join(cachedBuildDir(cache, key), 'bin')}`);
    expect(again.some((l) => /Build files have been written/.test(l))).toBe(false);
  }, 60_000);

  it('fetches a git source at a tag', async () => {
    const [repo] = fakeRepo();
    const { store } = engineHome();
    const installed = await installFromSource({ store, source: { kind: 'git', url: repo, ref: 'v1' } });
    expect(installed.version).toBe('b9-abc1234');
    expect(installed.entry.origin).toBe(`git ${repo}#v1`);
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

describe('installFromSource with the real llama.cpp build cache', () => {
  it('reuses the llama-server scripts/prepare-test-engines.sh built for node-llama-cpp@3.21.1, fetching nothing', async () => {
    if (!existsSync(REAL_LLAMA_SERVER)) {
      throw new Error(`no cached llama-server at ${REAL_LLAMA_SERVER}: run scripts/prepare-test-engines.sh first`);
    }
    const { store } = engineHome();
    const lines: string[] = [];
    const installed = await installFromSource({
      store,
      source: { kind: 'npm-tarball', spec: 'node-llama-cpp@3.21.1' },
      buildCacheDir: TEST_CACHE,
      onOutput: (l) => lines.push(l),
      smokeTest: async (path) => {
        const result = await runCommand(path, ['--version'], { timeoutMs: 15_000 });
        if (result.code !== 0) throw new Error('does not run');
      },
    });
    expect(installed.version).toBe('b1-80fb11a');
    expect(lines[0]).toMatch(/^reusing the cached build .*llama-server-[0-9a-f]{12}\/bin$/);
    expect(lines.some((l) => /npm pack|fetching/.test(l))).toBe(false);
    expect(installed.entry.buildFlags).toEqual([...LLAMA_BASE_CMAKE_FLAGS]);
  }, 60_000);
});
