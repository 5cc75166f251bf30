import {
  ChecksumMismatchError,
  DiskFullError,
  DownloadError,
  DownloadHttpError,
  DownloadStalledError,
  DownloadWriteError,
  RangeIgnoredError,
  RedirectRefusedError,
} from './download-errors.js';

/** How long and how often a download keeps trying when it makes no progress. */
export interface RetryPolicy {
  /** Consecutive attempts without progress before giving up (default 8). */
  maxRetries: number;
  /** First back-off delay; doubles per consecutive failure, capped, with jitter (default 500 ms). */
  baseDelayMs: number;
  /** Longest time without a new byte before giving up, attempts and back-off included (default 60 s). */
  budgetMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxRetries: 8, baseDelayMs: 500, budgetMs: 60_000 };

const MAX_BACKOFF_MS = 15_000;

/** The wait before retry number `failures` (1-based): exponential, capped at 15 s, ±25 % jitter. */
export function backoffDelay(failures: number, baseMs: number): number {
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** (failures - 1)) * (0.75 + Math.random() * 0.5);
}

/**
 * Whether another attempt can help. Final: a checksum mismatch, a full disk or other write failure, a
 * refused redirect, a 4xx other than 408/429, a cancellation. Network failures, 5xx and stalls are retried.
 */
export function isRetryable(error: unknown, signal: AbortSignal | undefined): boolean {
  if (signal?.aborted) return false;
  if (
    error instanceof ChecksumMismatchError ||
    error instanceof DownloadWriteError ||
    error instanceof DiskFullError ||
    error instanceof RangeIgnoredError ||
    error instanceof RedirectRefusedError
  ) {
    return false;
  }
  if (error instanceof DownloadHttpError) return error.retryable;
  if (error instanceof DownloadStalledError) return true;
  if (error instanceof DownloadError) return /connection closed|refused the range|Content-Range/.test(error.message);
  const code = (error as NodeJS.ErrnoException).code;
  if (code && ['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EISDIR', 'ENOTDIR'].includes(code)) return false;
  // Network-level failures: ECONNRESET, ECONNREFUSED, EPIPE, ETIMEDOUT, 'aborted', premature close, DNS hiccups.
  return true;
}
