import { z } from 'zod';
import { DownloadHttpError } from '../io/download-errors.js';
import { getText, type TextResponse } from '../io/http-get.js';

/** Default Hugging Face endpoint; mirrors are configured with `baseUrl` (conventionally from HF_ENDPOINT). */
export const DEFAULT_HUB_BASE_URL = 'https://huggingface.co';

export interface HubClientOptions {
  /** Hub or mirror base URL (default {@link DEFAULT_HUB_BASE_URL}). */
  baseUrl?: string;
  /** Sent as `Authorization: Bearer <token>` (HF_TOKEN). */
  token?: string;
  /** Bound for each API call in ms (default 30 s). */
  timeoutMs?: number;
}

/** One file of a repo at a revision. */
export interface HubFile {
  path: string;
  size: number;
  /** Git blob id (sha1); the Hugging Face cache names non-LFS blobs by it. */
  oid: string;
  /** sha256 of the content for LFS files (also their blob name in the cache). */
  lfsSha256?: string;
}

export type HubErrorKind = 'unauthorized' | 'not_found' | 'http' | 'protocol' | 'network';

/** A failed hub call; the message names the URL, the status and what to do about it. */
export class HubError extends Error {
  constructor(
    readonly kind: HubErrorKind,
    readonly url: string,
    readonly status: number | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HubError';
  }

  /** Maps an HTTP status on `url` to a HubError with advice (401/403 → set HF_TOKEN, 404 → no such repo/file). */
  static fromStatus(status: number, url: string, what: string, hasToken: boolean): HubError {
    if (status === 401 || status === 403) {
      const advice = hasToken
        ? 'the HF_TOKEN in use has no access to it (accept the model terms on its hub page, or use another token)'
        : 'it is gated or private: set HF_TOKEN to a Hugging Face token with access';
      return new HubError('unauthorized', url, status, `HTTP ${status} for ${what} at ${url}: ${advice}`);
    }
    if (status === 404) {
      return new HubError('not_found', url, status, `HTTP 404 for ${what} at ${url}: no such repo/file (or revision)`);
    }
    return new HubError('http', url, status, `HTTP ${status} for ${what} at ${url}`);
  }
}

/**
 * Turns a file download's HTTP 401/403/404 into the matching {@link HubError} (with its advice); any other
 * error is returned unchanged.
 */
export function hubDownloadError(error: unknown, what: string, hasToken: boolean): unknown {
  if (error instanceof DownloadHttpError && [401, 403, 404].includes(error.status)) {
    return HubError.fromStatus(error.status, error.url, what, hasToken);
  }
  return error;
}

const treeEntrySchema = z.object({
  type: z.string(),
  path: z.string(),
  size: z.number().int().nonnegative().optional(),
  oid: z.string(),
  lfs: z.object({ oid: z.string(), size: z.number().int().nonnegative() }).passthrough().optional(),
});
const treeSchema = z.array(treeEntrySchema);
const revisionSchema = z.object({ sha: z.string().regex(/^[0-9a-f]{40}$/) }).passthrough();

/**
 * A small typed client for the Hugging Face hub API (and mirrors speaking it): the file tree of a repo with
 * sizes and LFS sha256, the commit a revision points to, and file URLs. Every response is validated.
 */
export class HubClient {
  readonly baseUrl: string;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;

  constructor(options: HubClientOptions = {}) {
    this.baseUrl = (options.baseUrl || DEFAULT_HUB_BASE_URL).replace(/\/+$/, '');
    this.token = options.token || undefined;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Headers to send with hub requests, file downloads included. */
  authHeaders(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  /** True when a token is configured. */
  get hasToken(): boolean {
    return this.token !== undefined;
  }

  /** The commit sha that `revision` (branch, tag or sha) of a model repo points to. */
  async getCommit(repo: string, revision = 'main'): Promise<string> {
    const url = `${this.baseUrl}/api/models/${repoPath(repo)}/revision/${encodeURIComponent(revision)}`;
    const body = await this.getJson(url, `repo ${repo}@${revision}`);
    const parsed = revisionSchema.safeParse(body);
    if (!parsed.success) throw protocolError(url, parsed.error);
    return parsed.data.sha;
  }

  /** Every file of a model repo at `revision`, recursively, with size and LFS sha256 (follows pagination). */
  async listFiles(repo: string, revision = 'main'): Promise<HubFile[]> {
    let url: string | undefined =
      `${this.baseUrl}/api/models/${repoPath(repo)}/tree/${encodeURIComponent(revision)}?recursive=true`;
    const files: HubFile[] = [];
    while (url) {
      const { body, next } = await this.getJsonPage(url, `file list of ${repo}@${revision}`);
      const parsed = treeSchema.safeParse(body);
      if (!parsed.success) throw protocolError(url, parsed.error);
      for (const entry of parsed.data) {
        if (entry.type !== 'file') continue;
        files.push({
          path: entry.path,
          size: entry.lfs?.size ?? entry.size ?? 0,
          oid: entry.oid,
          lfsSha256: entry.lfs?.oid,
        });
      }
      url = next;
    }
    return files;
  }

  /** `{base}/{repo}/resolve/{revision}/{path}`: the download URL of one file. */
  resolveUrl(repo: string, path: string, revision = 'main'): string {
    const encodedPath = path.split('/').map(encodeURIComponent).join('/');
    return `${this.baseUrl}/${repoPath(repo)}/resolve/${encodeURIComponent(revision)}/${encodedPath}`;
  }

  private async getJson(url: string, what: string): Promise<unknown> {
    return (await this.getJsonPage(url, what)).body;
  }

  private async getJsonPage(url: string, what: string): Promise<{ body: unknown; next?: string }> {
    let response: TextResponse;
    try {
      response = await getText(url, {
        headers: { accept: 'application/json', ...this.authHeaders() },
        timeoutMs: this.timeoutMs,
        maxBytes: 64 << 20,
      });
    } catch (error) {
      throw new HubError('network', url, undefined, `could not reach ${url}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    if (response.status < 200 || response.status > 299) {
      throw HubError.fromStatus(response.status, url, what, this.hasToken);
    }
    let body: unknown;
    try {
      body = JSON.parse(response.text);
    } catch (error) {
      throw new HubError('protocol', url, response.status, `invalid JSON from ${url}`, { cause: error });
    }
    const link = response.headers.link;
    return { body, next: nextLink(typeof link === 'string' ? link : null, url) };
  }
}

/** `org/name` with each part URL-encoded (the slash kept). */
function repoPath(repo: string): string {
  return repo.split('/').map(encodeURIComponent).join('/');
}

/** The `rel="next"` target of an RFC 8288 Link header (the hub paginates trees this way). */
function nextLink(header: string | null, base: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (match?.[1]) return new URL(match[1], base).toString();
  }
  return undefined;
}

function protocolError(url: string, error: z.ZodError): HubError {
  return new HubError('protocol', url, 200, `unexpected response from ${url}: ${z.prettifyError(error)}`);
}
