import { rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { assertValidVersion } from '../manifest/engine-layout.js';
import { releaseAssetName } from '../platform/choose-llama-build.js';
import type { ArchiveLimits } from './archive-guard.js';
import { assertInstallable, commitInstall, type InstalledEngine, type InstallTarget } from './commit-install.js';
import { type DownloadProgress, downloadToFile, fetchSmallText } from './download.js';
import { moveLlamaServerToBin } from './llama-server-binary.js';
import { pinnedChecksum } from './pinned-checksums.js';
import { safeExtract } from './safe-extract.js';
import { ChecksumMismatchError, normalizeSha256, parseChecksumFile } from './sha256.js';
import { withStaging } from './staging.js';

export const DEFAULT_RELEASE_BASE_URL = 'https://github.com/ggml-org/llama.cpp/releases';

export interface ReleaseInstallOptions extends InstallTarget {
  /** GitHub-style releases root; assets are at `<baseUrl>/download/<tag>/<asset>` (default: ggml-org/llama.cpp). */
  baseUrl?: string;
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
  idleTimeoutMs?: number;
  limits?: ArchiveLimits;
  /** Checksums by `<tag>/<asset>` (default: PINNED_CHECKSUMS). */
  pinned?: Readonly<Record<string, string>>;
}

/** No checksum was known and the caller did not allow unverified installs; nothing was downloaded. */
export class UnverifiedDownloadError extends Error {
  constructor(asset: string, url: string) {
    super(
      `no checksum is known for ${asset} (none given, no ${url}.sha256 on the server, none pinned); ` +
        'pass --sha256 <digest> to verify it, or --allow-unverified to install it without verification',
    );
    this.name = 'UnverifiedDownloadError';
  }
}

/** Decides which checksum the download must match, before downloading anything. */
async function expectedChecksum(
  options: ReleaseInstallOptions,
  asset: string,
  url: string,
): Promise<{ sha256: string; from: string } | null> {
  if (options.sha256) return { sha256: normalizeSha256(options.sha256), from: '--sha256' };
  const pinned = pinnedChecksum(options.tag, asset, options.pinned);
  const sidecarText = await fetchSmallText(`${url}.sha256`, {
    ...(options.signal ? { signal: options.signal } : {}),
  }).catch((error: Error) => {
    options.onLog?.(`could not read ${url}.sha256 (${error.message})`);
    return null;
  });
  const sidecar = sidecarText === null ? null : parseChecksumFile(sidecarText, asset);
  if (sidecar && pinned && sidecar !== pinned) {
    throw new ChecksumMismatchError(`${asset}.sha256`, sidecar, pinned, 'the pinned checksum table');
  }
  if (sidecar) return { sha256: sidecar, from: `${asset}.sha256` };
  if (pinned) return { sha256: pinned, from: 'the pinned checksum table' };
  return null;
}

/**
 * Installs an official llama.cpp release archive as `engines/llama-cpp/<tag>/`: resolves the
 * expected checksum (given, else `<asset>.sha256` next to it, else the pinned table; none →
 * refused unless allowUnverified), streams the download into a staging folder, verifies it,
 * extracts it safely, keeps the folder holding llama-server as `bin/`, and commits (receipt,
 * manifest entry, smoke test, activation). A failure at any step leaves nothing behind and the
 * active version unchanged.
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
    options.onLog?.(`downloading ${url}`);
    const { sha256 } = await downloadToFile(url, archive, {
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.idleTimeoutMs ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    });
    if (expected && sha256 !== expected.sha256) {
      throw new ChecksumMismatchError(asset, sha256, expected.sha256, expected.from);
    }
    options.onLog?.(`extracting ${asset}`);
    const unpacked = join(staging, 'unpacked');
    await safeExtract(archive, unpacked, options.limits);
    const binary = await moveLlamaServerToBin(unpacked, staging, asset);
    await rm(archive, { force: true });
    return commitInstall(options, {
      engine: 'llama-cpp',
      version: tag,
      stagingDir: staging,
      receipt: { source: 'release', path: relative(staging, binary), checksum: sha256, origin: url },
    });
  });
}
