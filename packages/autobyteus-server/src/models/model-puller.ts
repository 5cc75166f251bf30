import { basename } from 'node:path';
import { type CatalogEntry, type CatalogSource, describeSource, findCatalogEntry, MODEL_CATALOG } from './catalog.js';
import { existingVerified, fetchGguf, ggufDestination } from './fetch-gguf-file.js';
import { HubClient } from './hub-client.js';
import { modelPaths } from './model-paths.js';
import { formatModelRef, type ModelRef, parseModelRef } from './model-ref.js';
import { pullMlxRepo } from './pull-mlx-repo.js';
import {
  type PullContext,
  PullError,
  type PullModelOptions,
  type PullResult,
  type SourceAttempt,
} from './pull-types.js';
import { registerGguf } from './register-gguf.js';

// The CLI names the result type together with the function.
export type { PullResult } from './pull-types.js';

const pulls = new Map<string, Promise<PullResult>>();

/**
 * Pulls a model:
 * - `hf:org/repo/file.gguf` → `<home>/models/gguf/file.gguf`, verified against the hub's LFS sha256;
 * - `https://…/file.gguf` → same folder (verified only when a catalog entry gives the sha256);
 * - `hf:org/repo` → the Hugging Face cache layout under `hfCacheDir` (MLX);
 * - a catalog name → its sources in order until one works (the result says which).
 *
 * Every file name that comes from outside is checked to be one safe segment inside its folder; URLs with
 * credentials are refused and URLs are stored redacted. GGUF files are inspected with `@huggingface/gguf`
 * and recorded in `registry.json`. Concurrent pulls of the same reference in this process share one
 * promise; across processes the downloader's lock files apply.
 */
export function pullModel(ref: string | ModelRef, options: PullModelOptions): Promise<PullResult> {
  let parsed: ModelRef;
  try {
    parsed = typeof ref === 'string' ? parseModelRef(ref) : ref;
  } catch (error) {
    return Promise.reject(error);
  }
  const key = `${options.home}\0${options.hfCacheDir}\0${formatModelRef(parsed)}`;
  const running = pulls.get(key);
  if (running) return running;
  const promise = runPull(parsed, options).finally(() => pulls.delete(key));
  pulls.set(key, promise);
  return promise;
}

async function runPull(ref: ModelRef, options: PullModelOptions): Promise<PullResult> {
  const ctx: PullContext = {
    options,
    paths: modelPaths(options.home),
    hub: new HubClient({ baseUrl: options.hubBaseUrl, token: options.hfToken }),
    emit: (event) => options.onProgress?.(event),
  };
  const refText = formatModelRef(ref);
  switch (ref.kind) {
    case 'hf-file': {
      const source: CatalogSource = {
        kind: 'hf-file',
        repo: ref.repo,
        revision: ref.revision,
        path: ref.path,
        verified: true,
      };
      const fileName = basename(ref.path);
      const fetched = await fetchGguf(ctx, source, fileName, undefined);
      return registerGguf(ctx, fetched, stem(fileName), refText, [{ source: fetched.source, ok: true }]);
    }
    case 'url': {
      const fetched = await fetchGguf(ctx, { kind: 'url', url: ref.url }, ref.fileName, undefined);
      return registerGguf(ctx, fetched, stem(ref.fileName), refText, [{ source: fetched.source, ok: true }]);
    }
    case 'hf-repo':
      return pullMlxRepo(ctx, ref.repo, ref.revision, [], undefined);
    case 'catalog': {
      const entry = findCatalogEntry(ref.name, options.catalog ?? MODEL_CATALOG);
      if (!entry) {
        const names = (options.catalog ?? MODEL_CATALOG).map((e) => e.name).join(', ');
        throw new PullError(`'${ref.name}' is not in the model catalog (known: ${names})`, []);
      }
      return pullCatalogEntry(ctx, entry);
    }
  }
}

async function pullCatalogEntry(ctx: PullContext, entry: CatalogEntry): Promise<PullResult> {
  const attempts: SourceAttempt[] = [];
  const fileName = entry.fileName ?? `${entry.name}.gguf`;
  if (entry.runtime === 'llama_cpp') {
    const local = await existingVerified(ggufDestination(ctx, fileName), entry.sha256);
    if (local) {
      attempts.push({ source: 'local file', ok: true });
      return registerGguf(ctx, { ...local, source: 'local file' }, entry.name, entry.name, attempts);
    }
  }
  for (const source of entry.sources) {
    const label = describeSource(source);
    ctx.emit({ phase: 'resolve', message: `trying ${label}` });
    try {
      if (source.kind === 'hf-repo') return await pullMlxRepo(ctx, source.repo, source.revision, attempts, label);
      const fetched = await fetchGguf(ctx, source, fileName, entry.sha256);
      const result = await registerGguf(ctx, fetched, entry.name, entry.name, attempts);
      attempts.push({ source: label, ok: true });
      return result;
    } catch (error) {
      if (ctx.options.signal?.aborted) throw error;
      const message = (error as Error).message;
      attempts.push({ source: label, ok: false, error: message });
      ctx.emit({ phase: 'source-failed', message: `${label}: ${message}` });
    }
  }
  throw new PullError(
    `could not pull ${entry.name}: every source failed:\n${attempts.map((a) => `  - ${a.source}: ${a.error}`).join('\n')}`,
    attempts,
  );
}

function stem(fileName: string): string {
  return fileName.replace(/\.gguf$/i, '');
}
