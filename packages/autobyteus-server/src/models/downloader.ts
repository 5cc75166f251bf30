import { createHash, type Hash } from 'node:crypto';
import { type FileHandle, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  ChecksumMismatchError,
  DownloadError,
  DownloadHttpError,
  DownloadStalledError,
  DownloadWriteError,
} from './download-errors.js';
import { hashFileInto, sha256File } from './file-hash.js';
import { acquireFileLock, type LockHolder } from './file-lock.js';
import { httpGet } from './http-get.js';
import { RateMeter } from './rate-meter.js';

export {
  ChecksumMismatchError,
  DownloadError,
  DownloadHttpError,
  DownloadStalledError,
  DownloadWriteError,
} from './download-errors.js';

/** Progress callback: bytes received so far (resumed prefix included), total when known, current rate. */
export type DownloadProgressFn = (received: number, total: number | undefined, bytesPerSec: number) => void;

export interface DownloadOptions {
  url: string;
  /** Final path; nothing appears under it until the file is complete and verified. */
  dest: string;
  /** Expected sha256 (hex); a mismatch deletes the partial and throws {@link ChecksumMismatchError}. */
  sha256?: string;
  /** Expected size in bytes; a server announcing another size is an error. */
  expectedSize?: number;
  /** Extra request headers (e.g. `Authorization`; dropped on cross-origin redirects). */
  headers?: Record<string, string>;
  onProgress?: DownloadProgressFn;
  /** Aborting keeps the partial file, so a later call resumes it. */
  signal?: AbortSignal;
  /** No byte for this long (headers included) aborts the attempt and retries (default 30 s). */
  stallTimeoutMs?: number;
  /** Consecutive attempts without progress before giving up (default 8). An attempt that advanced resets it. */
  maxRetries?: number;
  /** First back-off delay; doubles per consecutive failure, capped at 30 s, with jitter (default 500 ms). */
  retryBaseDelayMs?: number;
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

/** Bytes gathered before one `writev` (at most two such batches are in memory at once). */
const WRITE_BATCH_BYTES = 1 << 20;
/** Batches that may wait for the disk before reading pauses (memory: at most this many MiB of body). */
const MAX_QUEUED_WRITES = 4;
const MAX_BACKOFF_MS = 30_000;

interface InFlight {
  promise: Promise<DownloadResult>;
  listeners: Set<DownloadProgressFn>;
  sha256?: string;
}

const inFlight = new Map<string, InFlight>();

/**
 * Downloads one file resumably, verified and atomically.
 *
 * - Bytes go to `<dest>.partial`; on success (size and sha256 checked) it is renamed to `dest`.
 * - An existing partial is resumed with `Range: bytes=N-` (its prefix re-hashed from disk, streaming).
 *   206 continues; 200 means the server ignored the range, so the partial restarts from byte 0 with that
 *   same response; 416 with a complete partial goes straight to verification.
 * - A cut connection, a 5xx/408/429 or a stall (`stallTimeoutMs` without a byte) is retried with
 *   exponential back-off, each retry resuming from what is on disk.
 * - A sha256 mismatch deletes the partial and throws {@link ChecksumMismatchError} (expected, actual, URL).
 * - Memory stays bounded (two 1 MiB write batches plus socket buffers), whatever the file size.
 * - Concurrency: a second call for the same `dest` in this process returns the same promise (its
 *   `onProgress` is fed too). Across processes a lock file `<dest>.partial.lock` admits one writer; the other
 *   waits (by default) and then finds the finished file, or fails at once with `waitForLock: false`.
 * - If `dest` already exists and matches `sha256`/`expectedSize`, it is reused without any request.
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

/** Mutable state of one download across its attempts. */
interface Transfer {
  handle: FileHandle;
  hash: Hash;
  /** Bytes on disk and in `hash`. */
  received: number;
  total: number | undefined;
  etag: string | undefined;
  requests: number;
  resumedFrom: number[];
  rate: RateMeter;
  lastEmit: number;
}

async function fetchToPartial(options: DownloadOptions, partial: string, emit: DownloadProgressFn) {
  const handle = await open(partial, 'a');
  let closed = false;
  try {
    const t: Transfer = {
      handle,
      hash: createHash('sha256'),
      received: (await handle.stat()).size,
      total: options.expectedSize,
      etag: undefined,
      requests: 0,
      resumedFrom: [],
      rate: new RateMeter(),
      lastEmit: 0,
    };
    if (options.expectedSize !== undefined && t.received > options.expectedSize) await restart(t);
    if (t.received > 0) await hashFileInto(partial, t.hash);

    let failures = 0;
    for (;;) {
      const before = t.received;
      try {
        const done = await attempt(options, t, emit);
        if (done) break;
      } catch (error) {
        if (!isRetryable(error, options.signal)) throw error;
        failures = t.received > before ? 1 : failures + 1;
        if (failures > (options.maxRetries ?? 8)) {
          throw new DownloadError(
            `giving up on ${options.url} after ${t.requests} requests: ${(error as Error).message}`,
            options.url,
            { cause: error },
          );
        }
        await backoff(failures, options.retryBaseDelayMs ?? 500, options.signal);
      }
    }

    const actual = t.hash.digest('hex');
    if (options.fsync) await handle.sync();
    await handle.close();
    closed = true;
    if (options.expectedSize !== undefined && t.received !== options.expectedSize) {
      await unlink(partial).catch(() => undefined);
      throw new DownloadError(
        `size mismatch for ${options.url}: expected ${options.expectedSize} bytes, got ${t.received}`,
        options.url,
      );
    }
    if (options.sha256 && options.sha256.toLowerCase() !== actual) {
      await unlink(partial).catch(() => undefined);
      throw new ChecksumMismatchError(options.sha256.toLowerCase(), actual, options.url);
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

/** One HTTP request; true when the file is complete, false when the caller should go round again. */
async function attempt(options: DownloadOptions, t: Transfer, emit: DownloadProgressFn): Promise<boolean> {
  const stallMs = options.stallTimeoutMs ?? 30_000;
  const headers: Record<string, string> = { ...options.headers };
  const offset = t.received;
  if (offset > 0) {
    headers.range = `bytes=${offset}-`;
    // Resume only if the file is still the one we started on; otherwise the server sends it whole (200).
    if (t.etag && !t.etag.startsWith('W/')) headers['if-range'] = t.etag;
    t.resumedFrom.push(offset);
  }
  t.requests++;

  let destroy: ((reason: Error) => void) | undefined;
  let stallTimer: NodeJS.Timeout | undefined;
  // One timer, re-armed with refresh() on every chunk (cheaper than a new timer per chunk).
  const armStall = () => {
    if (stallTimer) stallTimer.refresh();
    else stallTimer = setTimeout(() => destroy?.(new DownloadStalledError(options.url, stallMs)), stallMs);
  };
  try {
    armStall();
    const opened = await httpGet(options.url, {
      headers,
      signal: options.signal,
      onRequest: (d) => {
        destroy = d;
      },
    });
    const { response, status } = opened;

    if (status === 416 && offset > 0) {
      response.resume();
      const total = parseTotal(response.headers['content-range']) ?? options.expectedSize;
      if (total === offset) {
        t.total = total;
        return true;
      }
      await restart(t);
      throw new DownloadError(`server refused the range from ${offset} (file size ${total ?? 'unknown'})`, options.url);
    }
    if (status >= 400 || (status !== 200 && status !== 206)) {
      response.resume();
      throw new DownloadHttpError(status, options.url);
    }
    const etag = response.headers.etag;
    if (typeof etag === 'string') t.etag = etag;

    let total: number | undefined;
    if (status === 206) {
      const range = parseContentRange(response.headers['content-range']);
      if (!range || range.start !== offset) {
        response.resume();
        await restart(t);
        throw new DownloadError(`unexpected Content-Range ${response.headers['content-range']}`, options.url);
      }
      total = range.total;
    } else {
      // 200: the whole file, whatever we asked for.
      if (offset > 0) await restart(t);
      const length = Number(response.headers['content-length']);
      total = Number.isFinite(length) && response.headers['content-length'] !== undefined ? length : undefined;
    }
    if (total !== undefined && options.expectedSize !== undefined && total !== options.expectedSize) {
      response.resume();
      throw new DownloadError(
        `${options.url} is ${total} bytes, expected ${options.expectedSize} (wrong file or revision)`,
        options.url,
      );
    }
    t.total = total ?? t.total;

    await streamBody(response, t, options.url, (arrived) => {
      armStall();
      const now = performance.now();
      const rate = t.rate.record(arrived, now);
      if (now - t.lastEmit >= (options.progressIntervalMs ?? 200)) {
        t.lastEmit = now;
        emit(arrived, t.total, rate);
      }
    });
    if (t.total !== undefined && t.received < t.total) {
      throw new DownloadError(`connection closed at byte ${t.received} of ${t.total}`, options.url);
    }
    return true;
  } finally {
    clearTimeout(stallTimer);
  }
}

/**
 * Copies the body to the partial file. Chunks are hashed as they arrive (in order) and gathered into 1 MiB
 * batches; batches are appended by a chain of `writev` calls, up to {@link MAX_QUEUED_WRITES} queued, so
 * the socket keeps being read while the disk catches up, with bounded memory. When the body ends or fails,
 * every queued batch is still written, so the file holds exactly the hashed bytes. A failed write is fatal
 * for this call (the file is then a shorter prefix than the hash; a later call re-hashes it from disk).
 */
async function streamBody(
  body: AsyncIterable<Buffer>,
  t: Transfer,
  url: string,
  onData: (arrived: number) => void,
): Promise<void> {
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let arrived = t.received;
  const queued: Promise<void>[] = [];
  let tail: Promise<void> = Promise.resolve();
  let writeError: Error | undefined;
  const enqueue = (buffers: Buffer[], bytes: number) => {
    tail = tail.then(async () => {
      if (writeError) return;
      try {
        const { bytesWritten } = await t.handle.writev(buffers);
        if (bytesWritten !== bytes) throw new Error(`short write: ${bytesWritten} of ${bytes} bytes`);
        t.received += bytes;
      } catch (error) {
        writeError = error as Error;
      }
    });
    queued.push(tail);
  };
  let failure: unknown;
  try {
    for await (const chunk of body) {
      t.hash.update(chunk);
      batch.push(chunk);
      batchBytes += chunk.length;
      arrived += chunk.length;
      onData(arrived);
      if (batchBytes >= WRITE_BATCH_BYTES) {
        enqueue(batch, batchBytes);
        batch = [];
        batchBytes = 0;
        if (queued.length >= MAX_QUEUED_WRITES) await queued.shift();
        if (writeError) break;
      }
    }
  } catch (error) {
    failure = error;
  }
  if (batchBytes > 0) enqueue(batch, batchBytes);
  await tail;
  if (writeError) throw new DownloadWriteError(url, writeError);
  if (failure !== undefined) throw failure;
}

async function restart(t: Transfer): Promise<void> {
  await t.handle.truncate(0);
  t.hash = createHash('sha256');
  t.received = 0;
  t.rate.reset();
}

function parseContentRange(header: string | undefined): { start: number; total?: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? '');
  if (!match) return undefined;
  return { start: Number(match[1]), total: match[3] === '*' ? undefined : Number(match[3]) };
}

function parseTotal(header: string | undefined): number | undefined {
  const match = /\/(\d+)$/.exec(header?.trim() ?? '');
  return match ? Number(match[1]) : undefined;
}

function isRetryable(error: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted) return false;
  if (error instanceof ChecksumMismatchError || error instanceof DownloadWriteError) return false;
  if (error instanceof DownloadHttpError) return error.retryable;
  if (error instanceof DownloadStalledError) return true;
  if (error instanceof DownloadError) return /connection closed|refused the range|Content-Range/.test(error.message);
  const code = (error as NodeJS.ErrnoException).code;
  if (code && ['ENOSPC', 'EACCES', 'EPERM', 'EROFS', 'EISDIR', 'ENOTDIR'].includes(code)) return false;
  // Network-level failures: ECONNRESET, ECONNREFUSED, EPIPE, ETIMEDOUT, 'aborted', premature close, DNS hiccups.
  return true;
}

function backoff(failures: number, baseMs: number, signal: AbortSignal | undefined): Promise<void> {
  const ms = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** (failures - 1)) * (0.75 + Math.random() * 0.5);
  return new Promise((resolveSleep, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolveSleep();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
