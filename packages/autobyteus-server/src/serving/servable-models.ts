import { readdirSync, statSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ModelSettings } from '../config/model-settings.js';
import type { ServerConfig } from '../config/server-config.js';
import type { EngineName } from '../engines/specs/engine-name.js';
import { MODEL_CATALOG } from '../models/catalog.js';
import type { AttentionShape } from '../models/gguf-header.js';
import { hubCacheDir } from '../models/hub-cache-dir.js';
import { listLocalModels } from '../models/local-models.js';
import { modelPaths } from '../models/model-paths.js';
import type { GgufHeaderCache } from './gguf-header-cache.js';

/** One model on this machine that a managed engine can serve. */
export interface ServableModel {
  /** Stable identifier: the GGUF file stem, or the MLX repo id (or folder). */
  id: string;
  engine: EngineName;
  /** The GGUF file, or the MLX snapshot folder. */
  path: string;
  /** On-disk size of the weights. */
  sizeBytes: number;
  /** Every name it answers to, the id first: file stem, catalog name, aliases from config.toml. */
  names: string[];
  settings: ModelSettings;
  /** Context window it was trained with, when known. */
  trainedContext?: number;
  attention?: AttentionShape;
  /** Why the file cannot be served (an unreadable GGUF header). */
  problem?: string;
}

/** Settings of a model without a `[models."…"]` table. */
export const NO_MODEL_SETTINGS: ModelSettings = { alias: [], extraArgs: [], pinned: false, embeddings: false };

/**
 * Every model a managed engine of `engines` can serve, read fresh from disk (a model pulled while the
 * server runs is servable at once): each `*.gguf` under `<home>/models/gguf` (plus
 * `LLAMACPP_DEFAULT_MODEL` when it is a file elsewhere) for llama.cpp, each complete MLX repo in the
 * Hugging Face cache for MLX. Per-model settings come from `config.models`, keyed by any of a model's
 * names.
 */
export async function listServableModels(
  config: ServerConfig,
  engines: readonly EngineName[],
  headers?: GgufHeaderCache,
): Promise<ServableModel[]> {
  const local = await listLocalModels({
    home: config.home,
    hfCacheDir: hubCacheDir(config),
    ...(headers ? { readHeader: headers.read } : {}),
  });
  const found: ServableModel[] = [];
  if (engines.includes('llama-cpp')) {
    const gguf = [...local.gguf];
    const extra = config.values.LLAMACPP_DEFAULT_MODEL;
    if (extra?.startsWith('/') && !gguf.some((m) => m.path === extra)) {
      const size = await stat(extra)
        .then((s) => (s.isFile() ? s.size : undefined))
        .catch(() => undefined);
      if (size !== undefined)
        gguf.push({ name: stemOf(extra), fileName: basename(extra), path: extra, size, registered: false });
    }
    for (const model of gguf) {
      const id = stemOf(model.fileName);
      const catalogName = MODEL_CATALOG.find((entry) => entry.fileName === model.fileName)?.name;
      const names = unique([id, model.name, ...(catalogName ? [catalogName] : [])]);
      const settings = settingsFor(config, [...names, model.fileName]);
      found.push({
        id,
        engine: 'llama-cpp',
        path: model.path,
        sizeBytes: model.size,
        names: unique([...names, ...settings.alias]),
        settings,
        ...(model.gguf?.contextLength ? { trainedContext: model.gguf.contextLength } : {}),
        ...(model.gguf?.attention ? { attention: model.gguf.attention } : {}),
        ...(model.error ? { problem: model.error } : {}),
      });
    }
  }
  if (engines.includes('mlx')) {
    for (const model of local.mlx) {
      const settings = settingsFor(config, [model.id]);
      found.push({
        id: model.id,
        engine: 'mlx',
        path: model.path,
        sizeBytes: await folderSize(model.path),
        names: unique([model.id, ...settings.alias]),
        settings,
        ...(model.config.contextWindow ? { trainedContext: model.config.contextWindow } : {}),
      });
    }
  }
  return found;
}

function stemOf(fileName: string): string {
  return basename(fileName).replace(/\.gguf$/i, '');
}

function unique(names: string[]): string[] {
  return [...new Set(names.filter((n) => n.length > 0))];
}

function settingsFor(config: ServerConfig, names: string[]): ModelSettings {
  for (const name of names) {
    const settings = config.models[name];
    if (settings) return settings;
  }
  return NO_MODEL_SETTINGS;
}

/** Bytes of the files in a snapshot folder (hub snapshots hold symlinks to blobs: followed). */
async function folderSize(folder: string): Promise<number> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const sizes = await Promise.all(
    names.map((name) =>
      stat(join(folder, name))
        .then((s) => (s.isFile() ? s.size : 0))
        .catch(() => 0),
    ),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

/** A path's change stamp: mtime, ctime, size and inode, or `-` when it does not exist. */
function stampOf(path: string): string {
  const info = statSync(path, { throwIfNoEntry: false, bigint: false });
  return info ? `${info.mtimeMs}/${info.ctimeMs}/${info.size}/${info.ino}` : '-';
}

/** Entries of a folder, none when it does not exist or is not one. */
function entriesOf(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

/**
 * {@link listServableModels} read again only when what it reads changed. The gateway looks a model
 * name up on every request, and a fresh listing (folder scans, registry.json, the hub cache's snapshot
 * files, MLX folder sizes) cost far more than the request's own work; this checks a few `stat`s per
 * request instead: the models folder, its gguf folder, registry.json and each GGUF file in it, an
 * absolute `LLAMACPP_DEFAULT_MODEL`, and with MLX the hub cache folder and per cached repo its `snapshots`,
 * `refs` and `blobs` folders and each snapshot folder. Every write a pull makes renames into one of
 * those (a finished GGUF, registry.json, a snapshot's links, refs), so a model pulled while the server
 * runs is servable on the next request. The stamps are taken before the listing, so a change that
 * lands during one is seen on the next request. Synchronous stats: a handful of microseconds each,
 * where a thread-pool round trip per path would cost more than the stat.
 */
export class ServableModelsCache {
  private last: { paths: string[]; stamp: string; models: Promise<ServableModel[]> } | undefined;

  constructor(
    private readonly config: ServerConfig,
    private readonly engines: readonly EngineName[],
    private readonly headers?: GgufHeaderCache,
  ) {}

  /** The servable models now: the last listing while nothing it read changed, else a new one. */
  list = (): Promise<ServableModel[]> => {
    const last = this.last;
    if (last && this.stampOf(last.paths) === last.stamp) return last.models;
    // Fixed paths first, then the ones found in them: a folder added between the two is listed too.
    const fixed = this.fixedPaths();
    const fixedStamps = fixed.map(stampOf);
    const found = this.foundPaths();
    const paths = [...fixed, ...found];
    // Joined exactly as stampOf(paths) joins them (also when nothing was found), so an unchanged disk matches.
    const stamp = [...fixedStamps, ...found.map(stampOf)].join('|');
    const models = listServableModels(this.config, this.engines, this.headers);
    const entry = { paths, stamp, models };
    this.last = entry;
    models.catch(() => {
      if (this.last === entry) this.last = undefined;
    });
    return models;
  };

  private stampOf(paths: readonly string[]): string {
    return paths.map(stampOf).join('|');
  }

  private fixedPaths(): string[] {
    const models = modelPaths(this.config.home);
    const paths = [models.root, models.registry];
    if (this.engines.includes('llama-cpp')) {
      paths.push(models.gguf);
      const extra = this.config.values.LLAMACPP_DEFAULT_MODEL;
      if (extra?.startsWith('/')) paths.push(extra);
    }
    if (this.engines.includes('mlx')) paths.push(hubCacheDir(this.config));
    return paths;
  }

  /** Each GGUF file, and per hub repo its snapshots, refs and blobs folders and its snapshot folders. */
  private foundPaths(): string[] {
    const paths: string[] = [];
    if (this.engines.includes('llama-cpp')) {
      const gguf = modelPaths(this.config.home).gguf;
      for (const name of entriesOf(gguf)) if (name.toLowerCase().endsWith('.gguf')) paths.push(join(gguf, name));
    }
    if (!this.engines.includes('mlx')) return paths;
    const hub = hubCacheDir(this.config);
    for (const repo of entriesOf(hub)) {
      if (!repo.startsWith('models--')) continue;
      const snapshots = join(hub, repo, 'snapshots');
      paths.push(snapshots, join(hub, repo, 'refs'), join(hub, repo, 'blobs'));
      for (const snapshot of entriesOf(snapshots)) paths.push(join(snapshots, snapshot));
    }
    return paths;
  }
}
