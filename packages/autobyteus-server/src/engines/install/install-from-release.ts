import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { type DownloadProgressFn, download } from '../../io/download.js';
import { ChecksumMismatchError } from '../../io/download-errors.js';
import { normalizeSha256 } from '../../io/hash.js';
import { getText } from '../../io/http-get.js';
import { redactUrl } from '../../io/redact-url.js';
import { assertValidVersion } from '../manifest/engine-layout.js';
import { releaseAssetName } from '../platform/choose-llama-build.js';
import type { ArchiveLimits } from './archive-guard.js';
import { parseChecksumFile } from './checksum-file.js';
import { assertInstallable, commitInstall, type InstalledEngine, type InstallTarget } from './commit-install.js';
import { moveLlamaServerToBin } from './llama-server-binary.js';
import { pinnedChecksum } from './pinned-checksums.js';
import { fetchRelease, releaseApiBase } from './release-api.js';
import { safeExtract } from './safe-extract.js';
import { withStaging } from './staging.js';

export const DEFAULT_RELEASE_BASE_URL = 'https://github.com/ggml-org/llama.cpp/releases';

/** `(receivedBytes, totalBytes)`; total is undefined when the server does not say. */
export type DownloadProgress = (receivedBytes: number, totalBytes: number | undefined) => void;

export interface ReleaseInstallOptions extends InstallTarget {
  /** GitHub-style releases root; assets are at `<baseUrl>/download/<tag>/<asset>` (default: ggml-org/llama.cpp). */
  baseUrl?: string;
  /**
   * The releases API root (`.../repos/<owner>/<repo>/releases`), asked for the asset's `digest`; default
   * derived from `baseUrl` ({@link releaseApiBase}); `null` skips it.
   */
  apiBaseUrl?: string | null;
  /** Release tag, e.g. `b6000`; it becomes the installed version. */
  tag: string;
  /** Asset file name; a `<tag>` placeholder is filled in (chooseLlamaBuild returns such patterns). */
  asset: string;
  /** Expected sha256 of the asset (`--sha256`). */
  sha256?: string;
  /** Install even when no checksum is known (`--allow-unverified`). */
  allowUnverified?: boolean;
  onProgress?: DownloadProgress;
  /** Progress notes for people ("checksum from ...", "extracting ..."). */
  onLog?: (message: string) => void;
  signal?: AbortSignal;
  /** No byte for this long aborts an attempt, which is then resumed (default 30 s). */
  stallTimeoutMs?: number;
  /** Passed to the downloader: first back-off delay and the time without progress before giving up. */
  retry?: { baseDelayMs?: number; budgetMs?: number; maxRetries?: number };
  limits?: ArchiveLimits;
  /** Checksums by `<tag>/<asset>` (default: PINNED_CHECKSUMS). */
  pinned?: Readonly<Record<string, string>>;
}

/** No checksum was known and the caller did not allow unverified installs; nothing was downloaded. */
export class UnverifiedDownloadError extends Error {
  constructor(asset: string, url: string) {
    super(
      `no checksum is known for ${asset} (none given, no digest from the release API, no ${redactUrl(url)}.sha256 ` +
        'on the server, none pinned); pass --sha256 <digest> to verify it, or --allow-unverified to install ' +
        'it without verification',
    );
    this.name = 'UnverifiedDownloadError';
  }
}

interface Expected {
  sha256: string;
  from: string;
}

/**
 * Decides which checksum the download must match, before downloading anything: `--sha256`; else the
 * release API's per-asset `digest`; else `<asset>.sha256` beside the asset; else the pinned table. A
 * pinned entry that disagrees with what the server says is refused.
 */
async function expectedChecksum(options: ReleaseInstallOptions, asset: string, url: string): Promise<Expected | null> {
  if (options.sha256) return { sha256: normalizeSha256(options.sha256), from: '--sha256' };
  const pinned = pinnedChecksum(options.tag, asset, options.pinned);
  const fromServer = (await apiDigest(options, asset)) ?? (await sidecarDigest(options, asset, url));
  if (fromServer && pinned && fromServer.sha256 !== pinned) {
    throw new ChecksumMismatchError(pinned, fromServer.sha256, `${asset} (${fromServer.from})`, 'the pinned table');
  }
  if (fromServer) return fromServer;
  if (pinned) return { sha256: pinned, from: 'the pinned checksum table' };
  return null;
}

async function apiDigest(options: ReleaseInstallOptions, asset: string): Promise<Expected | null> {
  const api =
    options.apiBaseUrl === undefined ? releaseApiBase(options.baseUrl ?? DEFAULT_RELEASE_BASE_URL) : options.apiBaseUrl;
  if (!api) return null;
  try {
    const release = await fetchRelease(api, options.tag, options.signal);
    const sha256 = release?.assets.find((a) => a.name === asset)?.sha256;
    return sha256 ? { sha256, from: `the release API (${redactUrl(api)})` } : null;
  } catch (error) {
    // A mirror may serve the files without the API; the other sources still apply.
    options.onLog?.(`could not read the release API at ${redactUrl(api)} (${(error as Error).message})`);
    return null;
  }
}

async function sidecarDigest(options: ReleaseInstallOptions, asset: string, url: string): Promise<Expected | null> {
  try {
    const response = await getText(`${url}.sha256`, { signal: options.signal, maxBytes: 64 * 1024 });
    if (response.status !== 200) return null;
    const sha256 = parseChecksumFile(response.text, asset);
    return sha256 ? { sha256, from: `${asset}.sha256` } : null;
  } catch (error) {
    options.onLog?.(`could not read ${redactUrl(url)}.sha256 (${(error as Error).message})`);
    return null;
  }
}

/**
 * Installs an official llama.cpp release archive as `engines/llama-cpp/<tag>/`: resolves the expected
 * checksum (see {@link expectedChecksum}; none → refused unless allowUnverified), downloads it into a
 * staging folder with the shared downloader (resumed after a cut, retried within a bounded time, free
 * space checked, verified while streaming), extracts it safely, keeps the folder holding llama-server as
 * `bin/`, and commits (receipt, manifest entry, smoke test, activation). A failure at any step leaves
 * nothing behind and the active version unchanged.
 */
export async function installFromRelease(options: ReleaseInstallOptions): Promise<InstalledEngine> {
  const { tag } = options;
  assertValidVersion(tag);
  const asset = releaseAssetName(options.asset, tag);
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(asset)) throw new Error(`invalid release asset name "${asset}"`);
  const baseUrl = (options.baseUrl ?? DEFAULT_RELEASE_BASE_URL).replace(/\/+$/, '');
  const url = `${baseUrl}/download/${encodeURIComponent(tag)}/${encodeURIComponent(asset)}`;
  await assertInstallable(options, 'llama-cpp', tag);

  const expected = await expectedChecksum(options, asset, url);
  if (!expected && !options.allowUnverified) throw new UnverifiedDownloadError(asset, url);
  options.onLog?.(expected ? `expecting sha256 ${expected.sha256} (from ${expected.from})` : 'no checksum: unverified');

  return withStaging(options.store.enginesDir, 'llama-cpp', async (staging) => {
    const archive = join(staging, asset);
    options.onLog?.(`downloading ${redactUrl(url)}`);
    const onProgress: DownloadProgressFn | undefined = options.onProgress
      ? (received, total) => options.onProgress?.(received, total)
      : undefined;
    const { sha256 } = await download({
      url,
      dest: archive,
      sha256: expected?.sha256,
      sha256From: expected?.from,
      onProgress,
      signal: options.signal,
      stallTimeoutMs: options.stallTimeoutMs,
      retryBaseDelayMs: options.retry?.baseDelayMs,
      retryBudgetMs: options.retry?.budgetMs,
      maxRetries: options.retry?.maxRetries,
    });
    options.onLog?.(`extracting ${asset}`);
    const unpacked = join(staging, 'unpacked');
    await safeExtract(archive, unpacked, options.limits);
    const binary = await moveLlamaServerToBin(unpacked, staging, asset);
    await rm(archive, { force: true });
    return commitInstall(options, {
      engine: 'llama-cpp',
      version: tag,
      stagingDir: staging,
      receipt: { source: 'release', path: relative(staging, binary), checksum: sha256, origin: redactUrl(url) },
    });
  });
}
