import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { LLMConfig } from '../llm/llm-config.js';

/** An MLX model folder found on disk. */
export interface LocalMlxModel {
  /** Hugging Face repo id (`org/name`) when the folder is in the hub cache, else the folder path. */
  id: string;
  path: string;
  config: LLMConfig;
  modelType?: string;
}

const mlxConfigSchema = z
  .object({
    model_type: z.string().optional(),
    max_position_embeddings: z.number().optional(),
    quantization: z.object({ bits: z.number(), group_size: z.number().optional() }).passthrough().optional(),
    num_parameters: z.number().optional(),
  })
  .passthrough();

// The files mlx_lm.server itself requires before it lists a cached repo.
const REQUIRED_FILES = ['config.json', 'model.safetensors.index.json', 'tokenizer_config.json'];

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Context window and quantization from a model folder's `config.json`; empty when unreadable. */
export async function readMlxModelConfig(folder: string): Promise<{ config: LLMConfig; modelType?: string }> {
  try {
    const parsed = mlxConfigSchema.safeParse(JSON.parse(await readFile(join(folder, 'config.json'), 'utf8')));
    if (!parsed.success) return { config: {} };
    const c = parsed.data;
    const quantization = c.quantization
      ? `${c.quantization.bits}bit${c.quantization.group_size ? `-g${c.quantization.group_size}` : ''}`
      : undefined;
    return {
      config: { contextWindow: c.max_position_embeddings, quantization, parameterCount: c.num_parameters },
      modelType: c.model_type,
    };
  } catch {
    return { config: {} };
  }
}

/** `models--org--name` → `org/name`. */
export function repoIdFromCacheFolder(folder: string): string | undefined {
  if (!folder.startsWith('models--')) return undefined;
  return folder.slice('models--'.length).split('--').join('/');
}

/** The snapshot folder a cached repo's `refs/main` points to, else its newest snapshot. */
export async function resolveSnapshot(repoFolder: string): Promise<string | undefined> {
  try {
    const ref = (await readFile(join(repoFolder, 'refs', 'main'), 'utf8')).trim();
    if (ref && (await exists(join(repoFolder, 'snapshots', ref)))) return join(repoFolder, 'snapshots', ref);
  } catch {
    // no refs/main: fall back to the newest snapshot
  }
  try {
    const snapshots = await readdir(join(repoFolder, 'snapshots'));
    const dated = await Promise.all(
      snapshots.map(async (name) => ({ name, mtime: (await stat(join(repoFolder, 'snapshots', name))).mtimeMs })),
    );
    dated.sort((a, b) => b.mtime - a.mtime);
    return dated[0] ? join(repoFolder, 'snapshots', dated[0].name) : undefined;
  } catch {
    return undefined;
  }
}

/** Resolves a repo id to its snapshot folder in the cache, if present. */
export async function findCachedRepo(cacheDir: string, repoId: string): Promise<string | undefined> {
  return resolveSnapshot(join(cacheDir, `models--${repoId.split('/').join('--')}`));
}

/**
 * Lists the MLX-loadable model repos in a Hugging Face hub cache (same layout as
 * `huggingface_hub.scan_cache_dir`). A missing cache folder is simply empty.
 */
export async function scanHuggingFaceCache(cacheDir: string): Promise<LocalMlxModel[]> {
  let entries: string[];
  try {
    entries = await readdir(cacheDir);
  } catch {
    return [];
  }
  const found = await Promise.all(
    entries.map(async (entry): Promise<LocalMlxModel | undefined> => {
      const id = repoIdFromCacheFolder(entry);
      if (!id) return undefined;
      const snapshot = await resolveSnapshot(join(cacheDir, entry));
      if (!snapshot) return undefined;
      const complete = await Promise.all(REQUIRED_FILES.map((file) => exists(join(snapshot, file))));
      if (!complete.every(Boolean)) return undefined;
      const { config, modelType } = await readMlxModelConfig(snapshot);
      return { id, path: snapshot, config, modelType };
    }),
  );
  return found.filter((model): model is LocalMlxModel => model !== undefined).sort((a, b) => a.id.localeCompare(b.id));
}
