import { basename } from 'node:path';
import type { ServerConfig } from '../config/server-config.js';
import { classifyDownloadFailure, DiskFullError, DownloadError, type DownloadFailure } from '../io/download-errors.js';
import { redactUrl } from '../io/redact-url.js';
import { findCatalogEntry, MODEL_CATALOG } from '../models/catalog.js';
import { hubCacheDir } from '../models/hub-cache-dir.js';
import { HubError } from '../models/hub-client.js';
import { pullModel } from '../models/model-puller.js';
import { formatModelRef, type ModelRef, ModelRefError, parseModelRef } from '../models/model-ref.js';
import { PullError, type PullProgressEvent, type PullResult } from '../models/pull-types.js';
import type { BackgroundJobs, JobContext, JobFailure, JobProgress, JobView } from './background-jobs.js';
import { describeDownloadFailure } from './download-job-failure.js';

/** A pull request the server refuses before starting anything; `status`/`code` are the HTTP answer's. */
export class PullRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PullRequestError';
  }
}

/** What a finished pull job shows as its result: no local paths, only the file name. */
export interface PulledModelView {
  kind: PullResult['kind'];
  runtime: PullResult['runtime'];
  /** The model's name as the Models list shows it (GGUF: the file name without `.gguf`; MLX: the repo id). */
  name: string;
  /** The GGUF file name under models/gguf. */
  file?: string;
  sizeBytes?: number;
  sha256?: string;
  /** True when a verified copy was already there. */
  reused?: boolean;
  /** The source that delivered it (URLs redacted). */
  source: string;
  warnings: string[];
}

/** Longest error message a job keeps (the every-source-failed message lists each source). */
const MAX_MESSAGE = 2000;

/**
 * Model pulls run by the server for `POST /api/models/pull`, through the CLI's puller
 * (`models/model-puller.ts`) as jobs of {@link BackgroundJobs}: the same references, checks and files
 * as `autobyteus-server models pull`, except URL references, which stay with the CLI (the server
 * would fetch any address a token holder names, including ones only it can reach).
 */
export class ModelPulls {
  constructor(
    private readonly deps: {
      config: ServerConfig;
      jobs: BackgroundJobs;
      /** The puller (tests of this class pass their own; the server passes `pullModel`). */
      pull?: typeof pullModel;
    },
  ) {}

  /**
   * Validates `input` and starts its pull, or joins the pull of the same model already running.
   * Throws {@link PullRequestError} for a reference the API does not take or a catalog name it lacks.
   */
  start(input: string): { job: JobView; joined: boolean } {
    const ref = checkRef(input);
    const key = `pull\0${formatModelRef(ref)}`;
    return this.deps.jobs.start(
      'pull',
      key,
      formatModelRef(ref),
      (context) => this.run(ref, context),
      (error) => describePullFailure(error, this.deps.config),
    );
  }

  private async run(ref: ModelRef, context: JobContext): Promise<PulledModelView> {
    const { config } = this.deps;
    const pull = this.deps.pull ?? pullModel;
    context.progress({ phase: 'resolving' });
    const result = await pull(ref, {
      home: config.home,
      hfCacheDir: hubCacheDir(config),
      hubBaseUrl: config.values.HF_ENDPOINT,
      hfToken: config.values.HF_TOKEN,
      pypiBaseUrl: config.values.PYPI_URL,
      signal: context.signal,
      onProgress: (event) => context.progress(progressOf(event)),
    });
    context.progress({ phase: 'done' });
    return resultView(result);
  }
}

/** The reference as the puller parses it, limited to what the API pulls. */
function checkRef(input: string): ModelRef {
  let ref: ModelRef;
  try {
    ref = parseModelRef(input);
  } catch (error) {
    if (error instanceof ModelRefError) throw new PullRequestError(400, 'invalid_model_ref', error.message);
    throw error;
  }
  if (ref.kind === 'url') {
    throw new PullRequestError(
      400,
      'url_pull_refused',
      'the API pulls catalog names and hf:org/repo[/file.gguf] references only; pull URLs with the CLI on the server machine (autobyteus-server models pull <url>)',
    );
  }
  if (ref.kind === 'catalog' && !findCatalogEntry(ref.name, MODEL_CATALOG)) {
    throw new PullRequestError(
      404,
      'model_not_found',
      `"${ref.name}" is not in the model catalog: GET /api/models/catalog (or autobyteus-server models catalog) lists the names; hf:org/repo/file.gguf pulls any GGUF from the hub`,
    );
  }
  return ref;
}

function progressOf(event: PullProgressEvent): JobProgress {
  switch (event.phase) {
    case 'download': {
      const done = event.received !== undefined && event.total !== undefined && event.received >= event.total;
      return {
        phase: done ? 'verifying' : 'downloading',
        ...(event.file ? { file: event.file } : {}),
        ...(event.received !== undefined ? { bytesDone: event.received } : {}),
        ...(event.total !== undefined ? { bytesTotal: event.total } : {}),
        ...(event.bytesPerSec !== undefined ? { bytesPerSec: Math.round(event.bytesPerSec) } : {}),
      };
    }
    case 'resolve':
      return { phase: 'resolving', ...(event.message ? { message: event.message } : {}) };
    case 'extract':
      return { phase: 'extracting', ...(event.file ? { file: event.file } : {}) };
    case 'inspect':
      return { phase: 'verifying', ...(event.message ? { message: event.message } : {}) };
    case 'register':
      return { phase: 'registering', ...(event.message ? { message: event.message } : {}) };
    case 'source-failed':
      return { ...(event.message ? { message: event.message } : {}) };
  }
}

function resultView(result: PullResult): PulledModelView {
  if (result.kind === 'gguf') {
    return {
      kind: 'gguf',
      runtime: result.runtime,
      name: result.name,
      file: basename(result.path),
      sizeBytes: result.size,
      sha256: result.sha256,
      reused: result.reused,
      source: result.source,
      warnings: [],
    };
  }
  return { kind: 'mlx', runtime: result.runtime, name: result.name, source: result.source, warnings: result.warnings };
}

/** Every error in a cause chain, outermost first. */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; e && chain.length < 8; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

/**
 * A failed pull as the job shows it: the status and code a synchronous answer would carry. A download
 * failure says whether the hub could not be reached, answered errors, cut the transfer or sent a corrupt
 * file ({@link describeDownloadFailure}).
 */
export function describePullFailure(error: unknown, config: ServerConfig): JobFailure {
  const message = cleanMessage(error instanceof Error ? error.message : String(error));
  const chain = causes(error);
  const hub = chain.find((e): e is HubError => e instanceof HubError);
  if (chain.some((e) => e instanceof DiskFullError)) return { message, code: 'insufficient_storage', status: 507 };
  if (hub?.kind === 'not_found') return { message, code: 'model_not_found', status: 404 };
  if (hub?.kind === 'unauthorized') return { message, code: 'hub_unauthorized', status: 403 };
  const failure = classifyDownloadFailure(error) ?? hubApiFailure(hub);
  if (failure) {
    return describeDownloadFailure(failure, message, {
      name: 'the hub',
      setting: 'HF_ENDPOINT',
      value: redactUrl(config.values.HF_ENDPOINT),
    });
  }
  if (error instanceof PullError || chain.some((e) => e instanceof DownloadError)) {
    return { message, code: 'pull_failed', status: 502 };
  }
  return { message, code: 'pull_failed', status: 500 };
}

/**
 * A failed hub API call (revision, file tree) that the download classification does not cover: one the
 * hub client could not make at all (a TLS failure, say), and a 5xx answer, which is not retried but is
 * the hub failing all the same.
 */
function hubApiFailure(hub: HubError | undefined): DownloadFailure | undefined {
  const host = hostOf(hub?.url);
  if (hub?.kind === 'network') return { kind: 'unreachable', host };
  if (hub?.kind === 'http' && hub.status !== undefined && hub.status >= 500) {
    return { kind: 'upstream', host, status: hub.status };
  }
  return undefined;
}

function hostOf(url: string | undefined): string | undefined {
  try {
    return url ? new URL(url).host : undefined;
  } catch {
    return undefined;
  }
}

/** Control characters out (newlines kept: the every-source-failed message is a list), bounded. */
function cleanMessage(text: string): string {
  const clean = text.replace(/[^\x20-\x7e\n]/g, '?');
  return clean.length > MAX_MESSAGE ? `${clean.slice(0, MAX_MESSAGE)}…` : clean;
}
