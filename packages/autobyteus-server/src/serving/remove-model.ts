import { rm, unlink } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import type { ServerConfig } from '../config/server-config.js';
import { resolveInside } from '../io/safe-path.js';
import { hubCacheDir } from '../models/hub-cache-dir.js';
import { modelPaths } from '../models/model-paths.js';
import { unregisterModel } from '../models/model-registry-file.js';
import { AmbiguousModelError, ModelServingError } from './model-errors.js';
import { matchModelName } from './model-names.js';
import { listServableModels, type ServableModel } from './servable-models.js';

/** The model is loaded and removal was not forced. */
export class ModelLoadedError extends ModelServingError {
  override name = 'ModelLoadedError';
  readonly status = 409;
  readonly code = 'model_loaded';
  constructor(model: string) {
    super(model, `"${model}" is loaded: unload it first (models unload), or remove it with --force (?force=true)`);
  }
}

/** The model's files are not where the server keeps models, so the server does not delete them. */
export class ModelNotRemovableError extends ModelServingError {
  override name = 'ModelNotRemovableError';
  readonly status = 409;
  readonly code = 'model_not_removable';
}

/** What a removal deleted. */
export interface RemovedModel {
  id: string;
  /** `file`: a GGUF (and its registry.json entry); `repo`: an MLX repo folder of the hub cache. */
  kind: 'file' | 'repo';
}

/** `path` is exactly `<root>/<its own base name>` (checked with `resolveInside`'s rules). */
function directlyInside(root: string, path: string): boolean {
  try {
    return resolveInside(root, basename(path), 'model path') === resolve(path);
  } catch {
    return false;
  }
}

/**
 * Deletes a local model from disk: a GGUF file of `<home>/models/gguf` with its registry.json entry,
 * or an MLX repo folder (`models--org--name`) of the hub cache. Anything elsewhere (a
 * `LLAMACPP_DEFAULT_MODEL` file outside the home, an MLX folder outside the hub cache) is refused with
 * {@link ModelNotRemovableError}: the server only deletes what it keeps. The caller makes sure the
 * model is not loaded. A GGUF symlink is removed, never the file it points at.
 */
export async function removeLocalModel(config: ServerConfig, model: ServableModel): Promise<RemovedModel> {
  if (model.engine === 'llama-cpp') {
    const paths = modelPaths(config.home);
    if (!directlyInside(paths.gguf, model.path)) {
      throw new ModelNotRemovableError(
        model.id,
        `"${model.id}" is not in the models folder of this home; delete the file yourself`,
      );
    }
    await unlink(model.path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
    await unregisterModel(paths.registry, basename(model.path));
    return { id: model.id, kind: 'file' };
  }
  const snapshots = dirname(model.path);
  const repo = dirname(snapshots);
  if (
    basename(snapshots) !== 'snapshots' ||
    !basename(repo).startsWith('models--') ||
    !directlyInside(hubCacheDir(config), repo)
  ) {
    throw new ModelNotRemovableError(
      model.id,
      `"${model.id}" is not a repo of the Hugging Face hub cache; delete its folder yourself`,
    );
  }
  await rm(repo, { recursive: true, force: true });
  return { id: model.id, kind: 'repo' };
}

/**
 * The local model `name` refers to when no `ModelServer` runs (`models rm` without a server, a
 * server managing no engine): the same listing and name matching, over both engines. Throws
 * `AmbiguousModelError` like `ModelServer.find`.
 */
export async function findModelOnDisk(config: ServerConfig, name: string): Promise<ServableModel | undefined> {
  const match = matchModelName(await listServableModels(config, ['llama-cpp', 'mlx']), name);
  if (match.kind === 'ambiguous') throw new AmbiguousModelError(name, match.candidates);
  return match.kind === 'found' ? match.model : undefined;
}
