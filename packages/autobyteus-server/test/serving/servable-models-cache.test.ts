import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadServerConfig, type ServerConfig } from '../../src/config/server-config.js';
import type { EngineName } from '../../src/engines/specs/engine-name.js';
import { writeFileAtomic } from '../../src/io/atomic-write.js';
import { ModelRegistryError, type RegisteredModel, registerModel } from '../../src/models/model-registry-file.js';
import { GgufHeaderCache } from '../../src/serving/gguf-header-cache.js';
import { listServableModels, ServableModelsCache } from '../../src/serving/servable-models.js';

/*
 * Real files in a temporary home and hub cache. The oracle is a fresh `listServableModels` over the same
 * files: after each change a pull (or a person) makes, the cache must answer what a fresh listing answers.
 *
 * What the cache cannot see (by design, documented here and asserted where it can be provoked):
 * - config.toml: aliases and per-model settings come from the ServerConfig the cache was built with.
 * - A hub blob rewritten in place (same path, no rename): blobs are content-addressed and every writer
 *   renames a finished blob into place, so neither the blobs folder nor the snapshot changes (test below).
 * - A change within the same file-system clock tick as the listing's stamp, on file systems whose
 *   timestamps are coarse (ext4 before Linux 6.13's multigrain timestamps: a tick of a few ms): a rename
 *   into a stamped folder, or a same-size in-place rewrite, then leaves mtime, ctime, size and inode as
 *   they were. A GGUF pull still shows up, since registry.json is replaced (new inode) after the file;
 *   a hand-copied file waits for the next change. Not provokable on this machine (every write gets a
 *   distinct ctime), so each test calls `clockTick()` after a listing, before changing files.
 */

const PAD = 4096;
/** A whole second, so a restored mtime is exactly the old one (a Date would drop the sub-ms part). */
const MTIME = 1_700_000_000;

/**
 * Returns once the file-system clock has moved on (immediately where timestamps are fine-grained), so
 * the next change cannot share a tick with a stamp taken before. A condition, not a time limit.
 */
function clockTick(folder: string): void {
  const probe = join(folder, '.clock-probe');
  writeFileSync(probe, 'x');
  const then = statSync(probe).ctimeMs;
  do writeFileSync(probe, 'x');
  while (statSync(probe).ctimeMs === then);
}

/** A valid GGUF v3 header (no tensors): llama architecture and a trained context, zero-padded to 4 KiB. */
function gguf(contextLength: number): Buffer {
  const parts: Buffer[] = [Buffer.from('GGUF'), u32(3), u64(0), u64(3)];
  parts.push(str('general.architecture'), u32(8), str('llama'));
  parts.push(str('general.name'), u32(8), str('tiny'));
  parts.push(str('llama.context_length'), u32(4), u32(contextLength));
  const header = Buffer.concat(parts);
  return Buffer.concat([header, Buffer.alloc(PAD - header.length)]);
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  return b;
}

function u64(value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(value));
  return b;
}

function str(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([u64(bytes.length), bytes]);
}

/** A header reader that counts its reads (each listing reads every GGUF's header once). */
class CountingHeaders extends GgufHeaderCache {
  reads = 0;
  constructor() {
    super();
    const inner = this.read;
    this.read = (path) => {
      this.reads++;
      return inner(path);
    };
  }
}

const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

interface Setup {
  home: string;
  gguf: string;
  hub: string;
  config: ServerConfig;
  headers: CountingHeaders;
  cache: ServableModelsCache;
  /** `cache.list()`, then {@link clockTick}: what the test changes next lands after the stamp's tick. */
  list: () => ReturnType<ServableModelsCache['list']>;
  /** What a listing without any cache answers now. */
  fresh: () => ReturnType<typeof listServableModels>;
}

function setup(options: { toml?: string; env?: Record<string, string>; engines?: EngineName[] } = {}): Setup {
  const home = mkdtempSync(join(tmpdir(), 'autobyteus-servable-'));
  homes.push(home);
  writeFileSync(join(home, 'config.toml'), options.toml ?? '');
  const hub = join(home, 'hf-hub');
  const config = loadServerConfig({ env: { AUTOBYTEUS_HOME: home, HF_HUB_CACHE: hub, ...options.env }, cwd: home });
  const engines = options.engines ?? ['llama-cpp', 'mlx'];
  const headers = new CountingHeaders();
  const cache = new ServableModelsCache(config, engines, headers);
  return {
    home,
    gguf: join(home, 'models', 'gguf'),
    hub,
    config,
    headers,
    cache,
    list: async () => {
      const models = await cache.list();
      clockTick(home);
      return models;
    },
    fresh: () => listServableModels(config, engines),
  };
}

/** A GGUF as a pull delivers it: bytes into `<dest>.partial`, then renamed into place. */
function pullGguf(folder: string, fileName: string, contextLength: number): string {
  mkdirSync(folder, { recursive: true });
  const dest = join(folder, fileName);
  writeFileSync(`${dest}.partial`, gguf(contextLength));
  renameSync(`${dest}.partial`, dest);
  return dest;
}

function registered(s: Setup, fileName: string, name: string): RegisteredModel {
  return {
    name,
    runtime: 'llama_cpp',
    fileName,
    path: join(s.gguf, fileName),
    size: PAD,
    sha256: '0'.repeat(64),
    ref: `hf:org/${name}`,
    source: 'hf',
    pulledAt: '2025-01-01T00:00:00.000Z',
    gguf: { architecture: 'llama', hasChatTemplate: false },
  };
}

const modelsPath = (home: string) => join(home, 'models');

describe('ServableModelsCache: the listing is cached while nothing it reads changed', () => {
  it('a second call answers the same listing without listing again', async () => {
    const s = setup();
    pullGguf(s.gguf, 'tiny.gguf', 2048);
    const first = s.cache.list();
    expect(s.cache.list()).toBe(first);
    const models = await first;
    expect(models).toEqual(await s.fresh());
    expect(models).toMatchObject([{ id: 'tiny', engine: 'llama-cpp', sizeBytes: PAD, trainedContext: 2048 }]);
    const reads = s.headers.reads;
    expect(reads).toBe(1);
    expect(s.cache.list()).toBe(first);
    expect(await s.list()).toBe(models);
    expect(s.headers.reads).toBe(reads);
  });

  // Found by this test: the stamp kept had a trailing separator when no GGUF file or hub repo was found,
  // so it never matched and every request listed again.
  it('a home with nothing found in it (no GGUF, no hub repo) is cached too', async () => {
    const s = setup();
    const first = s.cache.list();
    expect(await first).toEqual([]);
    expect(s.cache.list()).toBe(first);
    mkdirSync(s.gguf, { recursive: true });
    const second = s.list();
    expect(await second).toEqual([]);
    expect(s.cache.list()).toBe(s.cache.list());
  });
});

describe('ServableModelsCache: GGUF files', () => {
  it('a GGUF pulled in (partial, then renamed into place) is listed on the next call', async () => {
    const s = setup();
    pullGguf(s.gguf, 'first.gguf', 2048);
    const before = await s.list();
    expect(before.map((m) => m.id)).toEqual(['first']);

    // The partial alone is not a model, but the folder changed: listed again, still one model.
    writeFileSync(join(s.gguf, 'second.gguf.partial'), gguf(4096).subarray(0, 100));
    expect(await s.list()).toEqual(await s.fresh());
    expect((await s.list()).map((m) => m.id)).toEqual(['first']);

    writeFileSync(join(s.gguf, 'second.gguf.partial'), gguf(4096));
    renameSync(join(s.gguf, 'second.gguf.partial'), join(s.gguf, 'second.gguf'));
    const after = await s.list();
    expect(after).toEqual(await s.fresh());
    expect(after.map((m) => [m.id, m.trainedContext])).toEqual([
      ['first', 2048],
      ['second', 4096],
    ]);
  });

  it('a deleted GGUF is gone on the next call', async () => {
    const s = setup();
    pullGguf(s.gguf, 'a.gguf', 2048);
    const b = pullGguf(s.gguf, 'b.gguf', 2048);
    expect((await s.list()).map((m) => m.id)).toEqual(['a', 'b']);
    unlinkSync(b);
    expect((await s.list()).map((m) => m.id)).toEqual(['a']);
    expect(await s.list()).toEqual(await s.fresh());
  });

  it('the gguf folder created after the first listing is seen', async () => {
    const s = setup();
    expect(await s.list()).toEqual([]);
    pullGguf(s.gguf, 'late.gguf', 2048);
    expect((await s.list()).map((m) => m.id)).toEqual(['late']);
  });

  it('an absolute LLAMACPP_DEFAULT_MODEL that appears later is listed', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'autobyteus-default-model-'));
    homes.push(outside);
    const path = join(outside, 'elsewhere.gguf');
    const s = setup({ env: { LLAMACPP_DEFAULT_MODEL: path } });
    expect(await s.list()).toEqual([]);
    writeFileSync(path, gguf(1024));
    const models = await s.list();
    // (Its header is not read: no trainedContext for a default model outside the gguf folder.)
    expect(models).toMatchObject([{ id: 'elsewhere', path, sizeBytes: PAD }]);
    expect(models).toEqual(await s.fresh());
  });

  it('a GGUF replaced by rename with the same size and mtime (cp -p, rsync -t) shows the new header', async () => {
    const s = setup();
    const path = pullGguf(s.gguf, 'tiny.gguf', 2048);
    utimesSync(path, MTIME, MTIME);
    const before = statSync(path);
    expect((await s.list())[0]?.trainedContext).toBe(2048);

    writeFileSync(`${path}.tmp`, gguf(8192));
    utimesSync(`${path}.tmp`, MTIME, MTIME);
    renameSync(`${path}.tmp`, path);
    const after = statSync(path);
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);

    expect(await s.fresh()).toMatchObject([{ trainedContext: 8192 }]);
    expect(await s.list()).toMatchObject([{ trainedContext: 8192 }]);
  });

  it('a GGUF rewritten in place with the same size and its mtime put back is seen through its ctime', async () => {
    const s = setup();
    const path = pullGguf(s.gguf, 'tiny.gguf', 2048);
    utimesSync(path, MTIME, MTIME);
    const before = statSync(path);
    expect((await s.list())[0]?.trainedContext).toBe(2048);

    writeFileSync(path, gguf(16384));
    utimesSync(path, MTIME, MTIME);
    const after = statSync(path);
    expect([after.ino, after.size, after.mtimeMs]).toEqual([before.ino, before.size, before.mtimeMs]);
    expect(after.ctimeMs).not.toBe(before.ctimeMs);

    expect(await s.fresh()).toMatchObject([{ trainedContext: 16384 }]);
    expect(await s.list()).toMatchObject([{ trainedContext: 16384 }]);
  });

  it('an unreadable GGUF is listed with its problem, and the problem goes once a valid file replaces it', async () => {
    const s = setup();
    mkdirSync(s.gguf, { recursive: true });
    writeFileSync(join(s.gguf, 'broken.gguf'), Buffer.alloc(PAD));
    expect(await s.list()).toMatchObject([{ id: 'broken', problem: expect.stringContaining('unreadable GGUF') }]);
    pullGguf(s.gguf, 'broken.gguf', 2048);
    const [model] = await s.list();
    expect(model?.problem).toBeUndefined();
    expect(model?.trainedContext).toBe(2048);
  });
});

describe('ServableModelsCache: registry.json', () => {
  const toml = '[models."renamed"]\nalias = ["nick"]\n';

  it('a registry edit changes the names and the settings keyed by them on the next call', async () => {
    const s = setup({ toml });
    const registry = join(modelsPath(s.home), 'registry.json');
    pullGguf(s.gguf, 'file-stem.gguf', 2048);
    expect((await s.list())[0]?.names).toEqual(['file-stem']);

    await registerModel(registry, registered(s, 'file-stem.gguf', 'catalog-name'));
    expect((await s.list())[0]?.names).toEqual(['file-stem', 'catalog-name']);

    // Renamed to the name config.toml has a table for: its alias applies now.
    await registerModel(registry, registered(s, 'file-stem.gguf', 'renamed'));
    const [model] = await s.list();
    expect(model?.names).toEqual(['file-stem', 'renamed', 'nick']);
    expect(model?.settings.alias).toEqual(['nick']);
    expect(await s.list()).toEqual(await s.fresh());
  });

  it('an invalid registry fails the listing with the file named, is not cached, and a fixed one lists again', async () => {
    const s = setup();
    const registry = join(modelsPath(s.home), 'registry.json');
    pullGguf(s.gguf, 'tiny.gguf', 2048);
    await s.list();

    await writeFileAtomic(registry, '{"version": 1, "models": [{"name": 5}]');
    const failed = s.cache.list();
    await expect(failed).rejects.toBeInstanceOf(ModelRegistryError);
    await expect(failed).rejects.toThrow(`${registry} is not a valid model registry`);
    // Nothing changed on disk, but a failed listing is not kept: the next call tries again.
    const again = s.cache.list();
    expect(again).not.toBe(failed);
    await expect(again).rejects.toBeInstanceOf(ModelRegistryError);

    await writeFileAtomic(registry, '{"version": 1, "models": []}');
    expect((await s.list()).map((m) => m.id)).toEqual(['tiny']);
  });
});

describe('ServableModelsCache: MLX repos in the hub cache', () => {
  const REPO = 'models--mlx-community--Tiny-4bit';
  const COMMIT = 'c'.repeat(40);
  const files: Record<string, string> = {
    'config.json': JSON.stringify({ model_type: 'llama', max_position_embeddings: 8192 }),
    'model.safetensors.index.json': JSON.stringify({ weight_map: {} }),
    'tokenizer_config.json': JSON.stringify({}),
  };

  /** Writes a blob as the hub writer does: the bytes to `<blob>.partial`, renamed into place. */
  function writeBlob(repoDir: string, content: string): string {
    const blobs = join(repoDir, 'blobs');
    mkdirSync(blobs, { recursive: true });
    const blob = join(blobs, createHash('sha256').update(content).digest('hex'));
    writeFileSync(`${blob}.partial`, content);
    renameSync(`${blob}.partial`, blob);
    return blob;
  }

  /** `snapshots/<commit>/<name>` → relative link to the blob, made under a temporary name and renamed. */
  function link(repoDir: string, name: string, blob: string): void {
    const snapshot = join(repoDir, 'snapshots', COMMIT);
    mkdirSync(snapshot, { recursive: true });
    const target = join(snapshot, name);
    symlinkSync(relative(snapshot, blob), `${target}.tmp`);
    renameSync(`${target}.tmp`, target);
  }

  it('a repo pulled in the order a pull writes it (blobs, snapshot links, refs) is listed, matching a fresh listing at each step', async () => {
    const s = setup({ engines: ['mlx'] });
    expect(await s.list()).toEqual([]);
    const repoDir = join(s.hub, REPO);

    const blobs: Record<string, string> = {};
    for (const [name, content] of Object.entries(files)) {
      blobs[name] = writeBlob(repoDir, content);
      expect(await s.list()).toEqual(await s.fresh());
    }
    expect(await s.list()).toEqual([]);

    const names = Object.keys(files);
    for (const [i, name] of names.entries()) {
      link(repoDir, name, blobs[name] ?? '');
      const listed = await s.list();
      expect(listed).toEqual(await s.fresh());
      // Servable once every file mlx_lm.server requires is linked (the newest snapshot, before refs/main).
      expect(listed).toHaveLength(i === names.length - 1 ? 1 : 0);
    }

    await writeFileAtomic(join(repoDir, 'refs', 'main'), COMMIT);
    const models = await s.list();
    expect(models).toEqual(await s.fresh());
    const size = Object.values(files).reduce((sum, content) => sum + Buffer.byteLength(content), 0);
    expect(models).toMatchObject([
      {
        id: 'mlx-community/Tiny-4bit',
        engine: 'mlx',
        path: join(repoDir, 'snapshots', COMMIT),
        sizeBytes: size,
        trainedContext: 8192,
      },
    ]);
    expect(s.cache.list()).toBe(s.cache.list());
  });

  it('a new revision (new snapshot, refs/main moved) is served from the new snapshot; a removed repo is gone', async () => {
    const s = setup({ engines: ['mlx'] });
    const repoDir = join(s.hub, REPO);
    for (const [name, content] of Object.entries(files)) link(repoDir, name, writeBlob(repoDir, content));
    await writeFileAtomic(join(repoDir, 'refs', 'main'), COMMIT);
    expect((await s.list())[0]?.trainedContext).toBe(8192);

    const next = 'd'.repeat(40);
    const snapshot = join(repoDir, 'snapshots', next);
    mkdirSync(snapshot, { recursive: true });
    for (const [name, content] of Object.entries({
      ...files,
      'config.json': JSON.stringify({ model_type: 'llama', max_position_embeddings: 32768 }),
    })) {
      const blob = writeBlob(repoDir, content);
      symlinkSync(relative(snapshot, blob), join(snapshot, name));
    }
    await writeFileAtomic(join(repoDir, 'refs', 'main'), next);
    expect(await s.list()).toMatchObject([{ path: snapshot, trainedContext: 32768 }]);
    expect(await s.list()).toEqual(await s.fresh());

    rmSync(repoDir, { recursive: true });
    expect(await s.list()).toEqual([]);
  });

  it('documented limit: a blob rewritten in place (no writer does this) is not seen until something else changes', async () => {
    const s = setup({ engines: ['mlx'] });
    const repoDir = join(s.hub, REPO);
    const blobs: Record<string, string> = {};
    for (const [name, content] of Object.entries(files)) {
      blobs[name] = writeBlob(repoDir, content);
      link(repoDir, name, blobs[name]);
    }
    await writeFileAtomic(join(repoDir, 'refs', 'main'), COMMIT);
    expect((await s.list())[0]?.trainedContext).toBe(8192);

    writeFileSync(blobs['config.json'] ?? '', JSON.stringify({ model_type: 'llama', max_position_embeddings: 4096 }));
    expect(await s.fresh()).toMatchObject([{ trainedContext: 4096 }]);
    expect(await s.list()).toMatchObject([{ trainedContext: 8192 }]);

    // Any rename in the repo's stamped folders (here a new ref) brings it up to date.
    await writeFileAtomic(join(repoDir, 'refs', 'main'), COMMIT);
    expect(await s.list()).toMatchObject([{ trainedContext: 4096 }]);
  });
});
