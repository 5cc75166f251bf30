import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tar from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineVersionExistsError, SmokeTestFailedError } from '../../src/engines/install/commit-install.js';
import { installFromRelease, UnverifiedDownloadError } from '../../src/engines/install/install-from-release.js';
import { readLlamaServerVersion } from '../../src/engines/install/llama-server-binary.js';
import { releaseApiBase } from '../../src/engines/install/release-api.js';
import { resolveReleaseTag } from '../../src/engines/install/resolve-release-tag.js';
import { runCommand } from '../../src/engines/install/run-command.js';
import { ChecksumMismatchError, DownloadError, DownloadHttpError } from '../../src/io/download-errors.js';
import { buildZip } from './support/archive-builder.js';
import { engineHome } from './support/engine-home.js';
import { hasRealLlamaServer, REAL_LLAMA_SERVER, writeFakeLlamaServer } from './support/fake-llama.js';
import { startGithubReleases } from './support/github-releases-server.js';
import { type Route, startReleaseServer } from './support/release-server.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const ASSET = (tag: string) => `llama-${tag}-bin-ubuntu-x64.tar.gz`;

/** A release archive shaped like the official ones: `llama-<tag>/llama-server` (+ a library beside it). */
async function releaseArchive(tag: string, options: { exitCode?: number } = {}): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'autobyteus-release-'));
  const inner = join(dir, `llama-${tag}`);
  mkdirSync(inner);
  if (hasRealLlamaServer && options.exitCode === undefined)
    copyFileSync(REAL_LLAMA_SERVER, join(inner, 'llama-server'));
  else writeFakeLlamaServer(inner, options);
  copyFileSync(join(inner, 'llama-server'), join(inner, 'libggml-fake.so'));
  const file = join(dir, 'release.tar.gz');
  await tar.c({ gzip: true, file, cwd: dir, portable: true }, [`llama-${tag}`]);
  return readFileSync(file);
}

/** Runs `--version`: the smoke test used here (the process manager provides the real one). */
const versionSmokeTest = async (path: string) => {
  const result = await runCommand(path, ['--version'], { timeoutMs: 15_000 });
  if (result.code !== 0) throw new Error(`${path} --version exited ${result.code}`);
};
const failingSmokeTest = async (path: string) => {
  const result = await runCommand(path, ['--serve'], { timeoutMs: 15_000 });
  if (result.code !== 0) throw new Error(`engine exited with code ${result.code} before becoming ready`);
};

describe('installFromRelease (local release server)', () => {
  const routes = new Map<string, Route>();
  let server: Awaited<ReturnType<typeof startReleaseServer>>;
  let b100: Buffer;
  let b200: Buffer;
  let broken: Buffer;

  beforeAll(async () => {
    [b100, b200, broken] = await Promise.all([
      releaseArchive('b100'),
      releaseArchive('b200'),
      releaseArchive('b300', { exitCode: 1 }),
    ]);
    routes.set(`/releases/download/b100/${ASSET('b100')}`, { kind: 'bytes', body: b100 });
    routes.set(`/releases/download/b200/${ASSET('b200')}`, { kind: 'bytes', body: b200 });
    routes.set(`/releases/download/b200/${ASSET('b200')}.sha256`, {
      kind: 'bytes',
      body: Buffer.from(`${sha(b200)}  ${ASSET('b200')}\n`),
    });
    routes.set(`/releases/download/b300/${ASSET('b300')}`, { kind: 'bytes', body: broken });
    // Served bytes differ from what the checksum file promises.
    routes.set(`/releases/download/b400/${ASSET('b400')}`, { kind: 'bytes', body: b200 });
    routes.set(`/releases/download/b400/${ASSET('b400')}.sha256`, { kind: 'bytes', body: Buffer.from(sha(b100)) });
    routes.set(`/releases/download/b500/${ASSET('b500')}`, {
      kind: 'cut',
      body: b100,
      after: Math.floor(b100.length / 2),
    });
    routes.set(`/releases/download/b600/llama-b600-bin-win-cpu-x64.zip`, {
      kind: 'bytes',
      body: buildZip([
        {
          path: 'llama-server',
          content: readFileSync(writeFakeLlamaServer(mkdtempSync(join(tmpdir(), 'z-')), { build: 600 })),
        },
      ]),
    });
    server = await startReleaseServer(routes);
  }, 60_000);
  afterAll(() => server.close());

  it('downloads, verifies a given sha256, extracts, records and activates', async () => {
    const { home, store, folders } = engineHome();
    const progress: Array<[number, number | undefined]> = [];
    const installed = await installFromRelease({
      store,
      baseUrl: server.baseUrl,
      tag: 'b100',
      asset: 'llama-<tag>-bin-ubuntu-x64.tar.gz',
      sha256: sha(b100).toUpperCase(),
      onProgress: (received, total) => progress.push([received, total]),
      smokeTest: versionSmokeTest,
    });
    const dir = join(home, 'engines', 'llama-cpp', 'b100');
    expect(installed).toMatchObject({
      engine: 'llama-cpp',
      version: 'b100',
      dir,
      path: join(dir, 'bin', 'llama-server'),
      active: true,
    });
    expect(folders('llama-cpp')).toEqual(['b100']);
    expect(readFileSync(join(dir, 'bin', 'libggml-fake.so')).length).toBeGreaterThan(0);
    const receipt = JSON.parse(readFileSync(join(dir, 'install.json'), 'utf8'));
    expect(receipt).toMatchObject({
      receipt: 1,
      engine: 'llama-cpp',
      version: 'b100',
      source: 'release',
      path: 'bin/llama-server',
      checksum: sha(b100),
    });
    expect(receipt.origin).toBe(`${server.baseUrl}/download/b100/${ASSET('b100')}`);
    const record = (await store.read()).engines['llama-cpp'];
    expect(record.active).toBe('b100');
    expect(record.versions.b100).toMatchObject({ source: 'release', path: installed.path, checksum: sha(b100) });
    expect(progress.at(-1)).toEqual([b100.length, b100.length]);
    expect(progress.every(([r], i) => i === 0 || r >= (progress[i - 1]?.[0] ?? 0))).toBe(true);
    expect((await readLlamaServerVersion(installed.path)).version).toMatch(/^b\d+-[0-9a-f]+$/);
  });

  it('uses <asset>.sha256 from the server when no checksum is given', async () => {
    const { store } = engineHome();
    const installed = await installFromRelease({ store, baseUrl: server.baseUrl, tag: 'b200', asset: ASSET('b200') });
    expect(installed.entry.checksum).toBe(sha(b200));
    expect(server.requests).toContain(`/releases/download/b200/${ASSET('b200')}.sha256`);
  });

  it('falls back to the pinned checksum table', async () => {
    const { store } = engineHome();
    const installed = await installFromRelease({
      store,
      baseUrl: server.baseUrl,
      tag: 'b100',
      asset: ASSET('b100'),
      pinned: { [`b100/${ASSET('b100')}`]: sha(b100) },
    });
    expect(installed.version).toBe('b100');
  });

  it('refuses when no checksum is known, before downloading, and says how to proceed', async () => {
    const { store, folders, manifestText } = engineHome();
    const before = server.requests.length;
    const error = await installFromRelease({ store, baseUrl: server.baseUrl, tag: 'b100', asset: ASSET('b100') }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(UnverifiedDownloadError);
    expect(error.message).toMatch(/pass --sha256 <digest> to verify it, or --allow-unverified/);
    expect(server.requests.slice(before)).toEqual([`/releases/download/b100/${ASSET('b100')}.sha256`]);
    expect(folders('llama-cpp')).toEqual([]);
    expect(manifestText()).toBeNull();
    const installed = await installFromRelease({
      store,
      baseUrl: server.baseUrl,
      tag: 'b100',
      asset: ASSET('b100'),
      allowUnverified: true,
    });
    expect(installed.active).toBe(true);
  });

  async function withPrevious() {
    const home = engineHome();
    await installFromRelease({ store: home.store, baseUrl: server.baseUrl, tag: 'b200', asset: ASSET('b200') });
    return { ...home, before: home.manifestText() };
  }

  it('404: DownloadError, manifest unchanged, nothing left behind', async () => {
    const { store, folders, manifestText, before } = await withPrevious();
    const error = await installFromRelease({
      store,
      baseUrl: server.baseUrl,
      tag: 'b999',
      asset: ASSET('b999'),
      allowUnverified: true,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(DownloadHttpError);
    expect(error.message).toMatch(/HTTP 404 fetching/);
    expect(manifestText()).toBe(before);
    expect(folders('llama-cpp')).toEqual(['b200']);
  });

  it('wrong bytes: checksum mismatch refused, manifest unchanged, no folder', async () => {
    const { store, folders, manifestText, before } = await withPrevious();
    const error = await installFromRelease({ store, baseUrl: server.baseUrl, tag: 'b400', asset: ASSET('b400') }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(error.message).toContain(`expected ${sha(b100)}, got ${sha(b200)}`);
    expect(error.message).toContain(`the expected digest is from ${ASSET('b400')}.sha256`);
    expect(manifestText()).toBe(before);
    expect(folders('llama-cpp')).toEqual(['b200']);
    expect((await store.read()).engines['llama-cpp'].active).toBe('b200');
  });

  it('connection cut mid-body, every time: gives up within its retry budget, nothing left behind', async () => {
    const { store, folders, manifestText, before } = await withPrevious();
    const error = await installFromRelease({
      store,
      baseUrl: server.baseUrl,
      tag: 'b500',
      asset: ASSET('b500'),
      allowUnverified: true,
      retry: { baseDelayMs: 1, maxRetries: 2 },
    }).catch((e) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect(error.message).toMatch(
      new RegExp(`3 attempts in a row made no progress .*connection closed at byte \\d+ of ${b100.length}`),
    );
    // The server sends the whole file from byte 0 every time (no Range support), so no attempt advances it.
    expect(server.requests.filter((r) => r === `/releases/download/b500/${ASSET('b500')}`)).toHaveLength(3);
    expect(manifestText()).toBe(before);
    expect(folders('llama-cpp')).toEqual(['b200']);
  });

  it('a failing smoke test keeps the old version active and removes the new one', async () => {
    const { store, folders } = await withPrevious();
    const error = await installFromRelease({
      store,
      baseUrl: server.baseUrl,
      tag: 'b300',
      asset: ASSET('b300'),
      allowUnverified: true,
      smokeTest: failingSmokeTest,
    }).catch((e) => e);
    expect(error).toBeInstanceOf(SmokeTestFailedError);
    expect(error.message).toBe(
      'llama-cpp b300 failed its smoke test: engine exited with code 1 before becoming ready. It was removed; b200 stays active.',
    );
    const record = (await store.read()).engines['llama-cpp'];
    expect(record.active).toBe('b200');
    expect(Object.keys(record.versions)).toEqual(['b200']);
    expect(folders('llama-cpp')).toEqual(['b200']);
  });

  it('refuses to reinstall an installed version unless forced (the active one too)', async () => {
    const { store } = await withPrevious();
    await expect(
      installFromRelease({ store, baseUrl: server.baseUrl, tag: 'b200', asset: ASSET('b200') }),
    ).rejects.toThrow(/b200 is installed and active; pass --force to replace it/);
    const rebuilt = await installFromRelease({
      store,
      baseUrl: server.baseUrl,
      tag: 'b200',
      asset: ASSET('b200'),
      allowUnverified: true,
      force: true,
    });
    expect(rebuilt.active).toBe(true);
    expect((await store.read()).engines['llama-cpp'].active).toBe('b200');
    await installFromRelease({
      store,
      baseUrl: server.baseUrl,
      tag: 'b100',
      asset: ASSET('b100'),
      allowUnverified: true,
      activate: false,
    });
    await expect(
      installFromRelease({ store, baseUrl: server.baseUrl, tag: 'b100', asset: ASSET('b100'), allowUnverified: true }),
    ).rejects.toThrow(EngineVersionExistsError);
    const again = await installFromRelease({
      store,
      baseUrl: server.baseUrl,
      tag: 'b100',
      asset: ASSET('b100'),
      allowUnverified: true,
      force: true,
    });
    expect(again.active).toBe(true);
    expect((await store.read()).engines['llama-cpp'].previous).toBe('b200');
  });

  it('installs a Windows-style .zip release the same way', async () => {
    const { store } = engineHome();
    const installed = await installFromRelease({
      store,
      baseUrl: server.baseUrl,
      tag: 'b600',
      asset: 'llama-<tag>-bin-win-cpu-x64.zip',
      allowUnverified: true,
      smokeTest: versionSmokeTest,
    });
    expect((await readLlamaServerVersion(installed.path)).version).toBe('b600-abc1234');
  });

  it('refuses tags and asset names that could escape the engines folder', async () => {
    const { store } = engineHome();
    await expect(
      installFromRelease({ store, baseUrl: server.baseUrl, tag: '../b1', asset: 'x.tar.gz' }),
    ).rejects.toThrow(/invalid engine version/);
    await expect(
      installFromRelease({ store, baseUrl: server.baseUrl, tag: 'b1', asset: '../x.tar.gz' }),
    ).rejects.toThrow(/invalid release asset name/);
  });
});

describe('installFromRelease against a GitHub-shaped site, API and CDN (no .sha256 files)', () => {
  let gh: Awaited<ReturnType<typeof startGithubReleases>>;
  let b700: Buffer;
  let b710: Buffer;

  beforeAll(async () => {
    [b700, b710] = await Promise.all([releaseArchive('b700'), releaseArchive('b710')]);
    gh = await startGithubReleases([
      { tag: 'b690', assets: [{ name: ASSET('b690'), body: b700, digest: null }] },
      { tag: 'b695', assets: [{ name: ASSET('b695'), body: b700, digest: `sha256:${sha(b710)}` }] },
      { tag: 'b699', assets: [{ name: ASSET('b699'), body: b700, cutOnceAt: Math.floor(b700.length / 3) }] },
      { tag: 'b700', assets: [{ name: ASSET('b700'), body: b700 }] },
      { tag: 'b710', assets: [{ name: ASSET('b710'), body: b710 }] },
    ]);
  }, 60_000);
  afterAll(() => gh?.close());

  it('derives the API root from the releases root (github.com → api.github.com; a mirror serves it itself)', () => {
    expect(releaseApiBase('https://github.com/ggml-org/llama.cpp/releases')).toBe(
      'https://api.github.com/repos/ggml-org/llama.cpp/releases',
    );
    expect(releaseApiBase(gh.baseUrl)).toBe(`${new URL(gh.baseUrl).origin}/repos/ggml-org/llama.cpp/releases`);
    expect(releaseApiBase('http://mirror.local/releases')).toBeNull();
  });

  it('resolves latest through the releases/latest redirect', async () => {
    expect(await resolveReleaseTag(gh.baseUrl, 'latest')).toBe('b710');
    expect(await resolveReleaseTag(gh.baseUrl, 'b700')).toBe('b700');
  });

  it("verifies the asset against the API's digest, following the redirect to the CDN's origin", async () => {
    const { store } = engineHome();
    const logs: string[] = [];
    const before = gh.site.length;
    const installed = await installFromRelease({
      store,
      baseUrl: gh.baseUrl,
      tag: 'b700',
      asset: ASSET('b700'),
      onLog: (m) => logs.push(m),
    });
    expect(installed.entry.checksum).toBe(sha(b700));
    expect(logs).toContain(`expecting sha256 ${sha(b700)} (from the release API (${releaseApiBase(gh.baseUrl)}))`);
    const sitePaths = gh.site.slice(before).map((h) => h.path);
    expect(sitePaths).toEqual([
      '/repos/ggml-org/llama.cpp/releases/tags/b700',
      `/ggml-org/llama.cpp/releases/download/b700/${ASSET('b700')}`,
    ]);
    expect(gh.cdn.filter((h) => h.path === `/objects/b700/${ASSET('b700')}`)).toHaveLength(1);
    // The receipt keeps the URL asked for; the signed CDN URL (with its query) is never stored.
    const receipt = readFileSync(join(installed.dir, 'install.json'), 'utf8');
    expect(receipt).not.toContain('X-Amz-Signature');
  });

  it('refuses bytes that do not match the API digest and installs nothing', async () => {
    const { store, folders, manifestText } = engineHome();
    const error = await installFromRelease({ store, baseUrl: gh.baseUrl, tag: 'b695', asset: ASSET('b695') }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect(error.message).toContain(`expected ${sha(b710)}, got ${sha(b700)}`);
    expect(error.message).toContain('the expected digest is from the release API');
    expect(folders('llama-cpp')).toEqual([]);
    expect(manifestText()).toBeNull();
  });

  it('resumes a release download cut mid-body with a Range request', async () => {
    const { store } = engineHome();
    const installed = await installFromRelease({
      store,
      baseUrl: gh.baseUrl,
      tag: 'b699',
      asset: ASSET('b699'),
      retry: { baseDelayMs: 1 },
    });
    expect(installed.entry.checksum).toBe(sha(b700));
    const ranges = gh.cdn.filter((h) => h.path === `/objects/b699/${ASSET('b699')}`).map((h) => h.range);
    expect(ranges).toHaveLength(2);
    expect(ranges[0]).toBeUndefined();
    // It resumes from the bytes it has on disk when the connection dropped: the server cut after a
    // third, so the offset is above 0 and at most the cut (bytes still buffered in the response at the
    // cut are kept since io/received-chunks.ts; the check does not depend on it).
    const from = Number(/^bytes=(\d+)-$/.exec(ranges[1] ?? '')?.[1]);
    expect(from).toBeGreaterThan(0);
    expect(from).toBeLessThanOrEqual(Math.floor(b700.length / 3));
  });

  it('an asset without a digest and no other checksum is refused before downloading', async () => {
    const { store, folders } = engineHome();
    const before = gh.site.length;
    const cdnBefore = gh.cdn.length;
    const error = await installFromRelease({ store, baseUrl: gh.baseUrl, tag: 'b690', asset: ASSET('b690') }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(UnverifiedDownloadError);
    expect(error.message).toMatch(/no digest from the release API/);
    expect(gh.site.slice(before).map((h) => h.path)).toEqual([
      '/repos/ggml-org/llama.cpp/releases/tags/b690',
      `/ggml-org/llama.cpp/releases/download/b690/${ASSET('b690')}.sha256`,
    ]);
    expect(gh.cdn.length).toBe(cdnBefore);
    expect(folders('llama-cpp')).toEqual([]);
  });
});
