import { randomBytes } from 'node:crypto';
import { mkdir, readlink, rename, symlink, unlink } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { writeFileAtomic } from '../io/atomic-write.js';
import { download } from '../io/download.js';
import { DownloadError } from '../io/download-errors.js';
import { resolveInside, safeFileName } from '../io/safe-path.js';
import { gitBlobOid } from './git-blob-oid.js';
import { type HubClient, type HubFile, hubDownloadError } from './hub-client.js';

/** Files mlx_lm itself downloads from a repo; everything else (images, READMEs, .gitattributes) is skipped. */
export const MLX_FILE_PATTERNS: readonly RegExp[] = [
  /\.json$/,
  /\.jsonl$/,
  /\.safetensors$/,
  /\.py$/,
  /^tokenizer\.model$/,
  /\.tiktoken$/,
  /^tiktoken\.model$/,
  /\.txt$/,
  /\.jinja$/,
];

export interface HfCachePullOptions {
  hub: HubClient;
  /** `org/name`. */
  repo: string;
  /** Branch, tag or commit (default `main`). */
  revision?: string;
  /** The hub cache folder (HF_HUB_CACHE, or `$HF_HOME/hub`). */
  hfCacheDir: string;
  /** Which repo files to fetch (default: {@link MLX_FILE_PATTERNS}, matched on the base name). */
  include?: (path: string) => boolean;
  /** Whole-repo progress: bytes so far, total bytes, rate, and the file being fetched. */
  onProgress?: (received: number, total: number, bytesPerSec: number, file: string) => void;
  signal?: AbortSignal;
  stallTimeoutMs?: number;
  retryBudgetMs?: number;
  retryBaseDelayMs?: number;
}

export interface HfCachePullResult {
  /** `<hfCacheDir>/models--org--name` */
  repoDir: string;
  /** `<repoDir>/snapshots/<commit>` */
  snapshotDir: string;
  commit: string;
  files: Array<{ path: string; blob: string; size: number; reused: boolean }>;
}

/**
 * Downloads a hub repo into the Hugging Face cache layout, the one `huggingface_hub`, `mlx_lm.server` and the
 * library's `scanHuggingFaceCache` read:
 *
 *     models--org--name/blobs/<sha256 for LFS files, git oid otherwise>
 *     models--org--name/snapshots/<commit>/<path>   → relative symlink to ../../blobs/<blob>
 *     models--org--name/refs/<revision>             = <commit>   (for branch/tag revisions)
 *
 * Each blob is fetched with {@link download} (resumable, verified: LFS sha256, or the git blob id for small
 * files, plus the size), so an interrupted pull resumes and an already cached blob is not fetched again.
 * The ref is written last: a repo only becomes "current" once every file is in place.
 */
export async function pullRepoToHfCache(options: HfCachePullOptions): Promise<HfCachePullResult> {
  const { hub, repo, hfCacheDir } = options;
  const revision = options.revision ?? 'main';
  const commit = await hub.getCommit(repo, revision);
  const include = options.include ?? ((path: string) => MLX_FILE_PATTERNS.some((re) => re.test(basename(path))));
  const files = (await hub.listFiles(repo, commit)).filter((file) => include(file.path));
  if (files.length === 0) throw new DownloadError(`${repo}@${revision} has no model files to download`, hub.baseUrl);

  const repoDir = resolveInside(hfCacheDir, safeFileName(`models--${repo.split('/').join('--')}`, 'repo id'), 'repo');
  const snapshotDir = resolveInside(repoDir, `snapshots/${commit}`, 'commit');
  const total = files.reduce((sum, file) => sum + file.size, 0);
  let done = 0;
  const result: HfCachePullResult = { repoDir, snapshotDir, commit, files: [] };

  for (const file of files) {
    const blob = file.lfsSha256 ?? file.oid;
    if (!/^[0-9a-f]{40,64}$/.test(blob)) {
      throw new DownloadError(`refusing unsafe file entry ${file.path} (blob ${blob}) in ${repo}`, hub.baseUrl);
    }
    // Throws for `../`, absolute paths, backslashes, control characters: the listing comes from the server.
    const link = resolveInside(snapshotDir, file.path, `file entry of ${repo}`);
    const blobPath = join(repoDir, 'blobs', blob);
    let fetched: Awaited<ReturnType<typeof download>>;
    try {
      fetched = await download({
        url: hub.resolveUrl(repo, file.path, commit),
        dest: blobPath,
        sha256: file.lfsSha256,
        expectedSize: file.size,
        headers: hub.authHeaders(),
        signal: options.signal,
        stallTimeoutMs: options.stallTimeoutMs,
        retryBudgetMs: options.retryBudgetMs,
        retryBaseDelayMs: options.retryBaseDelayMs,
        verify: file.lfsSha256 ? undefined : (partial) => verifyGitOid(partial, file, hub.resolveUrl(repo, file.path)),
        onProgress: (received, _total, rate) => options.onProgress?.(done + received, total, rate, file.path),
      });
    } catch (error) {
      throw hubDownloadError(error, `${repo}/${file.path}`, hub.hasToken);
    }
    done += file.size;
    options.onProgress?.(done, total, 0, file.path);
    await linkInto(link, blobPath);
    result.files.push({ path: file.path, blob, size: file.size, reused: fetched.reused });
  }

  if (!/^[0-9a-f]{40}$/.test(revision)) {
    await writeFileAtomic(resolveInside(join(repoDir, 'refs'), revision, 'revision'), commit);
  }
  return result;
}

async function verifyGitOid(partial: string, file: HubFile, url: string): Promise<void> {
  const actual = await gitBlobOid(partial);
  if (actual !== file.oid) {
    throw new DownloadError(`git blob id mismatch for ${url}: expected ${file.oid}, got ${actual}`, url, {
      reason: 'corrupt',
    });
  }
}

/** `snapshots/<commit>/<path>` → relative link to the blob, replaced atomically if it exists. */
async function linkInto(link: string, blobPath: string): Promise<void> {
  await mkdir(dirname(link), { recursive: true });
  const target = relative(dirname(link), blobPath);
  try {
    if ((await readlink(link)) === target) return;
  } catch {
    // absent (or not a link): create it
  }
  const temp = `${link}.${randomBytes(4).toString('hex')}.tmp`;
  await symlink(target, temp);
  try {
    await rename(temp, link);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}
