import { mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { assertRoomFor } from './disk-space.js';
import { ChecksumMismatchError, DiskFullError, DownloadError } from './download-errors.js';
import { attempt, type DownloadProgressFn, openTransfer, restart, type Transfer } from './download-transfer.js';
import { acquireFileLock, type LockHolder } from './file-lock.js';
import { hashFileInto, sha256File } from './hash.js';
import { redactUrl } from './redact-url.js';
import { backoffDelay, DEFAULT_RETRY_POLICY, isRetryable } from './retry-policy.js';
import { sleep } from './sleep.js';

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
}

export interface DownloadResult {
  path: string;
  sha256: string;
  size: number;
  /** True when `dest` already held the (verified) file and nothing was fetched. */
  reused: boolean;
  /** HTTP requests made (0 when reused). */
  requests: number;
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
 * - An existing partial is resumed with `Range: bytes=N-` (its prefix re-hashed from disk, streaming).
 *   206 continues; 200 means the server ignored the range, so the partial restarts from byte 0 with that
 *   same response; 416 with a complete partial goes straight to verification.
 * - A cut connection, a 5xx/408/429 or a stall (`stallTimeoutMs` without a byte) is retried with
 *   exponential back-off, each retry resuming from what is on disk, until `maxRetries` attempts or
 *   `retryBudgetMs` pass without a new byte; the final error states both. A refused redirect, a 4xx, a
 *   checksum mismatch or a full disk is final at once.
 * - Free space is checked against the size to come before writing ({@link DiskFullError}); a full disk
 *   (before or during the transfer) deletes the partial, which would only block the next pull.
 * - A sha256 mismatch deletes the partial and throws {@link ChecksumMismatchError} (expected, actual, URL).
 * - Memory stays bounded (two 1 MiB write batches plus socket buffers), whatever the file size.
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
  const digest = await sha256File(options.dest);
  const sizeOk = options.expectedSize === undefined || options.expectedSize === size;
  const shaOk = !options.sha256 || options.sha256.toLowerCase() === digest;
  if (sizeOk && shaOk) return { path: options.dest, sha256: digest, size, reused: true, requests: 0, resumedFrom: [] };
  await unlink(options.dest).catch(() => undefined);
  return undefined;
}

async function fetchToPartial(options: DownloadOptions, partial: string, emit: DownloadProgressFn) {
  const handle = await open(partial, 'a');
  let closed = false;
  try {
    const t = await openTransfer(options.url, dirname(partial), handle, options.expectedSize);
    if (options.expectedSize !== undefined && t.received > options.expectedSize) await restart(t);
    if (options.expectedSize !== undefined) await assertRoomFor(t.folder, options.expectedSize - t.received, t.url);
    if (t.received > 0) await hashFileInto(partial, t.hash);

    await transferWithRetries(options, t, emit);

    const actual = t.hash.digest('hex');
    if (options.fsync) await handle.sync();
    await handle.close();
    closed = true;
    if (options.expectedSize !== undefined && t.received !== options.expectedSize) {
      await unlink(partial).catch(() => undefined);
      throw new DownloadError(
        `size mismatch for ${redactUrl(options.url)}: expected ${options.expectedSize} bytes, got ${t.received}`,
        options.url,
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
    emit(t.received, t.received, t.rate.rate());
    return {
      path: options.dest,
      sha256: actual,
      size: t.received,
      reused: false,
      requests: t.requests,
      resumedFrom: t.resumedFrom,
    };
  } finally {
    if (!closed) await handle.close().catch(() => undefined);
  }
}

/** Attempts until the file is complete, or a final error, or the retry policy gives up. */
async function transferWithRetries(options: DownloadOptions, t: Transfer, emit: DownloadProgressFn): Promise<void> {
  const maxRetries = options.maxRetries ?? DEFAULT_RETRY_POLICY.maxRetries;
  const baseDelayMs = options.retryBaseDelayMs ?? DEFAULT_RETRY_POLICY.baseDelayMs;
  const budgetMs = options.retryBudgetMs ?? DEFAULT_RETRY_POLICY.budgetMs;
  const settings = {
    headers: options.headers,
    signal: options.signal,
    stallTimeoutMs: options.stallTimeoutMs ?? 30_000,
    progressIntervalMs: options.progressIntervalMs ?? 200,
    emit,
    onBytes: options.onBytes,
  };
  let failures = 0;
  let sinceFirstFailure = 0;
  for (;;) {
    const before = t.received;
    try {
      if (await attempt(t, settings)) return;
    } catch (error) {
      if (!isRetryable(error, options.signal)) throw error;
      failures = t.received > before ? 1 : failures + 1;
      if (failures === 1) sinceFirstFailure = t.requests;
      const delay = backoffDelay(failures, baseDelayMs);
      const idleMs = performance.now() - t.lastByteAt;
      if (failures > maxRetries || idleMs + delay > budgetMs) {
        const attempts = t.requests - sinceFirstFailure + 1;
        throw new DownloadError(
          `giving up on ${redactUrl(options.url)}: ${attempts} attempts in a row made no progress for ` +
            `${(idleMs / 1000).toFixed(1)} s (limits: ${maxRetries + 1} attempts, ${budgetMs / 1000} s without progress); ` +
            `last error: ${(error as Error).message}`,
          options.url,
          { cause: error },
        );
      }
      await sleep(delay, options.signal);
    }
  }
}
