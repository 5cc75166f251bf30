import { constants } from 'node:fs';
import { type FileHandle, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { assertRoomFor } from './disk-space.js';
import { type ConnectionProbe, DEFAULT_CONNECTION_PROBE } from './download-connections.js';
import { ChecksumMismatchError, DiskFullError, DownloadError, RangeIgnoredError } from './download-errors.js';
import { fetchParts, loadParts, planParts, removeParts, saveParts } from './download-parts.js';
import { fetchSegmentWithRetries } from './download-retries.js';
import {
  type DownloadProgressFn,
  openTransfer,
  received,
  restart,
  type Segment,
  type Transfer,
} from './download-transfer.js';
import { acquireFileLock, type LockHolder } from './file-lock.js';
import { sha256File } from './hash.js';
import { redactUrl } from './redact-url.js';
import { DEFAULT_RETRY_POLICY } from './retry-policy.js';
import type { TrailingFileHasher } from './trailing-file-hasher.js';

/** Parallel ranged requests for a file of known size (like a browser's or Ollama's downloader). */
const DEFAULT_CONNECTIONS = 4;
/** Size of one ranged part: files of at least two parts are fetched in parts. */
const DEFAULT_PART_BYTES = 32 * 1024 * 1024;

export type { ConnectionProbe } from './download-connections.js';
export type { DownloadProgressFn } from './download-transfer.js';

export interface DownloadOptions {
  url: string;
  /** Final path; nothing appears under it until the file is complete and verified. */
  dest: string;
  /** Expected sha256 (hex); a mismatch deletes the partial and throws {@link ChecksumMismatchError}. */
  sha256?: string;
  /** Who promised `sha256` (a `.sha256` file, the release API, the catalog), named in a mismatch. */
  sha256From?: string;
  /** Expected size in bytes; a server announcing another size is an error. */
  expectedSize?: number;
  /** Extra request headers (e.g. `Authorization`; dropped on cross-origin redirects). */
  headers?: Record<string, string>;
  onProgress?: DownloadProgressFn;
  /**
   * Told the size of every chunk received, as it arrives: bytes that crossed the network (a range
   * fetched again after a restart counts again; a reused file or a resumed prefix does not), for a
   * traffic counter. Unlike `onProgress` it is not fed to a call that joins a download already running
   * in this process, so a counter shared by both calls counts each byte once.
   */
  onBytes?: (bytes: number) => void;
  /** Aborting keeps the partial file, so a later call resumes it. */
  signal?: AbortSignal;
  /** No byte for this long (headers included) aborts the attempt and retries (default 30 s). */
  stallTimeoutMs?: number;
  /** Consecutive attempts without progress before giving up (default 8). An attempt that advanced resets it. */
  maxRetries?: number;
  /** First back-off delay; doubles per consecutive failure, capped at 15 s, with jitter (default 500 ms). */
  retryBaseDelayMs?: number;
  /** Longest time without a new byte, retries and back-off included, before giving up (default 60 s). */
  retryBudgetMs?: number;
  /**
   * Another process holds `<dest>.partial.lock`: wait for it (default; a dead or frozen holder is taken over),
   * or `false` to throw {@link import('./file-lock.js').FileLockBusyError} at once.
   */
  waitForLock?: boolean;
  /** Told once when this call starts waiting for another process's download of the same file. */
  onLockWait?: (holder: LockHolder | undefined) => void;
  /** Extra check of the complete partial before it is renamed into place; throwing rejects the file. */
  verify?: (partialPath: string, sha256: string) => Promise<void>;
  /** fsync the file before renaming it (default false: a reused file is re-verified when its sha256 is known). */
  fsync?: boolean;
  /** Minimum interval between progress callbacks (default 200 ms; the final one always fires). */
  progressIntervalMs?: number;
  /**
   * Most parallel ranged requests when `expectedSize` is known and spans at least two parts (default 4);
   * 1 fetches one stream.
   */
  connections?: number;
  /**
   * How the connections are opened: one first, more only while they raise the rate (default; see
   * {@link ConnectionProbe}: the thresholds can be changed), or `false` for all `connections` at once.
   */
  connectionProbe?: Partial<ConnectionProbe> | false;
  /** Bytes per ranged part (default 32 MiB); each part resumes on its own after a failure or a crash. */
  partBytes?: number;
}

export interface DownloadResult {
  path: string;
  sha256: string;
  size: number;
  /** True when `dest` already held the (verified) file and nothing was fetched. */
  reused: boolean;
  /** HTTP requests made (0 when reused). */
  requests: number;
  /** Most requests that ran at once: what the connection probe chose (0 when reused). */
  connections: number;
  /** The offsets this download resumed from with `Range` requests. */
  resumedFrom: number[];
}

interface InFlight {
  promise: Promise<DownloadResult>;
  listeners: Set<DownloadProgressFn>;
  sha256?: string;
}

// Per process by nature: it joins concurrent calls for one file made anywhere in this process.
const inFlight = new Map<string, InFlight>();

/**
 * Downloads one file resumably, verified and atomically; the one downloader for model pulls and engine
 * release archives alike.
 *
 * - Bytes go to `<dest>.partial`; on success (size and sha256 checked) it is renamed to `dest`.
 * - A file of known size (`expectedSize`) spanning two parts or more is fetched as ranged parts of
 *   `partBytes`, in file order, over one connection at first and up to `connections` parallel ones while
 *   each added one raises the rate (behind a per-connection cap; see `connectionProbe`); `<dest>.partial.parts` records each
 *   part's bytes on disk, so every part resumes where it stopped, in this call or a later one. A server
 *   that answers a ranged part with 200 (it ignores `Range`) gets one stream from byte 0 instead.
 * - The sha256 is computed on a worker thread that reads back the contiguous written prefix of the
 *   partial (see {@link TrailingFileHasher}), so hashing overlaps the transfer on another core.
 * - One stream resumes an existing partial with `Range: bytes=N-` (its prefix hashed meanwhile).
 *   206 continues; 200 means the server ignored the range, so the partial restarts from byte 0 with that
 *   same response; 416 with a complete partial goes straight to verification.
 * - A cut connection, a 5xx/408/429 or a stall (`stallTimeoutMs` without a byte) is retried with
 *   exponential back-off, each retry resuming from what is on disk, until `maxRetries` attempts or
 *   `retryBudgetMs` pass without a new byte; the final error states both. A refused redirect, a 4xx, a
 *   checksum mismatch or a full disk is final at once.
 * - Free space is checked against the size to come before writing ({@link DiskFullError}); a full disk
 *   (before or during the transfer) deletes the partial, which would only block the next pull.
 * - A sha256 mismatch deletes the partial and throws {@link ChecksumMismatchError} (expected, actual, URL).
 * - Memory stays bounded (per connection three 256 KiB write batches plus socket buffers), whatever the file size.
 * - Concurrency: a second call for the same `dest` in this process returns the same promise (its
 *   `onProgress` is fed too). Across processes a lock file `<dest>.partial.lock` admits one writer; the other
 *   waits (by default) and then finds the finished file, or fails at once with `waitForLock: false`.
 * - If `dest` already exists and matches `sha256`/`expectedSize`, it is reused without any request.
 * - URLs in errors are redacted (no credentials, no query values).
 */
export function download(options: DownloadOptions): Promise<DownloadResult> {
  const key = resolve(options.dest);
  const running = inFlight.get(key);
  if (running) {
    if (options.sha256 && running.sha256 && options.sha256.toLowerCase() !== running.sha256) {
      return Promise.reject(
        new DownloadError(
          `${options.dest} is already being downloaded with sha256 ${running.sha256}, not ${options.sha256}`,
          options.url,
        ),
      );
    }
    if (options.onProgress) running.listeners.add(options.onProgress);
    return running.promise;
  }
  const listeners = new Set<DownloadProgressFn>();
  if (options.onProgress) listeners.add(options.onProgress);
  const emit: DownloadProgressFn = (received, total, rate) => {
    for (const listener of listeners) listener(received, total, rate);
  };
  const promise = runDownload({ ...options, dest: key }, emit).finally(() => inFlight.delete(key));
  inFlight.set(key, { promise, listeners, sha256: options.sha256?.toLowerCase() });
  return promise;
}

async function runDownload(options: DownloadOptions, emit: DownloadProgressFn): Promise<DownloadResult> {
  const { dest } = options;
  const partial = `${dest}.partial`;
  await mkdir(dirname(dest), { recursive: true });
  const lock = await acquireFileLock(`${partial}.lock`, {
    wait: options.waitForLock ?? true,
    signal: options.signal,
    onWait: options.onLockWait,
  });
  try {
    const reused = await reuseExisting(options);
    if (reused) {
      emit(reused.size, reused.size, 0);
      return reused;
    }
    return await fetchToPartial(options, partial, emit);
  } catch (error) {
    if (error instanceof DiskFullError) {
      // A partial on a full disk cannot be finished and only makes the next, smaller pull fail too.
      await unlink(partial).catch(() => undefined);
      await removeParts(partial);
      throw new DiskFullError(
        options.url,
        error.folder,
        error.neededBytes,
        error.freeBytes,
        'the partial file was removed; free some space (or move AUTOBYTEUS_HOME) and retry',
      );
    }
    throw error;
  } finally {
    await lock.release();
  }
}

/** The already complete `dest`, when it passes the checks we can make; a stale one is deleted. */
async function reuseExisting(options: DownloadOptions): Promise<DownloadResult | undefined> {
  let size: number;
  try {
    size = (await stat(options.dest)).size;
  } catch {
    return undefined;
  }
  const sizeOk = options.expectedSize === undefined || options.expectedSize === size;
  // A file of the wrong size is not read through (models run to gigabytes): it is replaced either way.
  const digest = sizeOk ? await sha256File(options.dest) : undefined;
  const shaOk = !options.sha256 || options.sha256.toLowerCase() === digest;
  if (digest !== undefined && shaOk)
    return {
      path: options.dest,
      sha256: digest,
      size,
      reused: true,
      requests: 0,
      connections: 0,
      resumedFrom: [],
    };
  await unlink(options.dest).catch(() => undefined);
  return undefined;
}

async function fetchToPartial(options: DownloadOptions, partial: string, emit: DownloadProgressFn) {
  const folder = dirname(partial);
  // Read-write without truncating: positional writes, so parts can land anywhere in the file.
  const handle = await open(partial, constants.O_RDWR | constants.O_CREAT, 0o644);
  let closed = false;
  let t: Transfer | undefined;
  try {
    const segments = await planSegments(options, partial, handle);
    t = await openTransfer(options.url, partial, folder, handle, options.expectedSize, segments?.segments);
    t.etag = segments?.etag;
    if (!segments && options.expectedSize !== undefined && received(t) > options.expectedSize) await restart(t);
    if (options.expectedSize !== undefined) {
      await assertRoomFor(folder, options.expectedSize - received(t), t.url);
    }

    await transfer(options, t, partial, emit);

    const size = received(t);
    const actual = await t.hasher.finish(size);
    if (options.fsync) await handle.sync();
    await handle.close();
    closed = true;
    await removeParts(partial);
    if (options.expectedSize !== undefined && size !== options.expectedSize) {
      await unlink(partial).catch(() => undefined);
      throw new DownloadError(
        `size mismatch for ${redactUrl(options.url)}: expected ${options.expectedSize} bytes, got ${size}`,
        options.url,
        { reason: 'corrupt' },
      );
    }
    if (options.sha256 && options.sha256.toLowerCase() !== actual) {
      await unlink(partial).catch(() => undefined);
      throw new ChecksumMismatchError(options.sha256.toLowerCase(), actual, options.url, options.sha256From);
    }
    if (options.verify) {
      try {
        await options.verify(partial, actual);
      } catch (error) {
        await unlink(partial).catch(() => undefined);
        throw error;
      }
    }
    await rename(partial, options.dest);
    emit(size, size, t.rate.rate());
    return {
      path: options.dest,
      sha256: actual,
      size,
      reused: false,
      requests: t.requests,
      connections: t.connections,
      resumedFrom: t.resumedFrom,
    };
  } finally {
    await t?.hasher.dispose();
    if (!closed) await handle.close().catch(() => undefined);
  }
}

/**
 * Ranged parts when the size is known and large enough (resuming saved parts when their state matches the
 * partial), or undefined for one stream (which resumes a partial written by one stream with `Range`).
 */
async function planSegments(
  options: DownloadOptions,
  partial: string,
  handle: FileHandle,
): Promise<{ segments: Segment[]; etag?: string } | undefined> {
  const size = options.expectedSize;
  const connections = options.connections ?? DEFAULT_CONNECTIONS;
  const partBytes = options.partBytes ?? DEFAULT_PART_BYTES;
  if (size !== undefined) {
    const saved = await loadParts(partial, size);
    if (saved) return saved;
  }
  await removeParts(partial);
  if (size === undefined || connections < 2 || size < 2 * partBytes || (await handle.stat()).size > 0) return undefined;
  await assertRoomFor(dirname(partial), size, options.url);
  const segments = planParts(size, partBytes);
  // State first, then the file at its full size: a crash in between leaves an empty partial, which
  // does not match the state and so starts afresh.
  await saveParts(partial, { segments, etag: undefined }, size);
  await handle.truncate(size);
  return { segments };
}

/** The parts in parallel, or one stream; a server that ignores `Range` turns parts into one stream. */
async function transfer(options: DownloadOptions, t: Transfer, partial: string, emit: DownloadProgressFn) {
  const policy = {
    maxRetries: options.maxRetries ?? DEFAULT_RETRY_POLICY.maxRetries,
    baseDelayMs: options.retryBaseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs,
    budgetMs: options.retryBudgetMs ?? DEFAULT_RETRY_POLICY.budgetMs,
  };
  const settings = {
    headers: options.headers,
    signal: options.signal,
    stallTimeoutMs: options.stallTimeoutMs ?? 30_000,
    progressIntervalMs: options.progressIntervalMs ?? 200,
    emit,
    onBytes: options.onBytes,
  };
  const first = t.segments[0] as Segment;
  if (first.end !== undefined && options.expectedSize !== undefined) {
    const connections = options.connections ?? DEFAULT_CONNECTIONS;
    try {
      const probe =
        options.connectionProbe === false ? undefined : { ...DEFAULT_CONNECTION_PROBE, ...options.connectionProbe };
      await fetchParts(t, partial, options.expectedSize, connections, settings, policy, probe);
      return;
    } catch (error) {
      if (!(error instanceof RangeIgnoredError)) throw error;
      await removeParts(partial);
      await restart(t);
    }
  }
  await fetchSegmentWithRetries(t, () => t.segments[0] as Segment, settings, policy);
}
