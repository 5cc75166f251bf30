import { redactUrl } from './redact-url.js';

/** Base class of every download failure; names the URL (redacted: no credentials, no query values). */
export class DownloadError extends Error {
  /** The URL, redacted as it may be printed. */
  readonly url: string;

  constructor(message: string, url: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DownloadError';
    this.url = redactUrl(url);
  }
}

/** The server answered with an HTTP error status. */
export class DownloadHttpError extends DownloadError {
  constructor(
    readonly status: number,
    url: string,
    detail?: string,
  ) {
    super(`HTTP ${status} fetching ${redactUrl(url)}${detail ? `: ${detail}` : ''}`, url);
    this.name = 'DownloadHttpError';
  }

  /** 5xx, 408 and 429 are worth another try; other statuses are final. */
  get retryable(): boolean {
    return this.status >= 500 || this.status === 408 || this.status === 429;
  }
}

/**
 * Bytes do not hash to the expected sha256 (a partial download has been deleted). Used for downloads,
 * extracted archive members and local files alike.
 */
export class ChecksumMismatchError extends Error {
  /**
   * @param subject what was hashed: a URL (redacted here), a file or an archive member
   * @param expectedFrom who promised `expected` (a `.sha256` file, `--sha256`, the catalog), when worth saying
   */
  constructor(
    readonly expected: string,
    readonly actual: string,
    subject: string,
    readonly expectedFrom?: string,
  ) {
    super(
      `sha256 mismatch for ${redactUrl(subject)}: expected ${expected}, got ${actual}` +
        `${expectedFrom ? ` (the expected digest is from ${expectedFrom})` : ''}: the bytes are corrupt or not the expected file`,
    );
    this.name = 'ChecksumMismatchError';
  }
}

/** No byte arrived for `stallTimeoutMs`; the downloader retries these itself. */
export class DownloadStalledError extends DownloadError {
  constructor(
    url: string,
    readonly stallTimeoutMs: number,
  ) {
    super(`no data from ${redactUrl(url)} for ${stallTimeoutMs} ms`, url);
    this.name = 'DownloadStalledError';
  }
}

/** Writing the partial file failed (I/O error, read-only file system): not retried. */
export class DownloadWriteError extends DownloadError {
  constructor(url: string, cause: Error) {
    super(`writing the download of ${redactUrl(url)} failed: ${cause.message}`, url, { cause });
    this.name = 'DownloadWriteError';
  }
}

/**
 * The file does not fit: found before the download by comparing free space with the expected size, or
 * when a write hit ENOSPC. Not retried; the message names the folder, the bytes needed and the bytes free.
 */
export class DiskFullError extends DownloadError {
  constructor(
    url: string,
    readonly folder: string,
    readonly neededBytes: number,
    readonly freeBytes: number,
    detail?: string,
  ) {
    super(
      `no space left on ${folder}: need ${neededBytes} bytes, have ${freeBytes} ` +
        `(downloading ${redactUrl(url)})${detail ? `; ${detail}` : ''}`,
      url,
    );
    this.name = 'DiskFullError';
  }
}

/** A redirect the downloader will not follow (another scheme, too many hops): final, never retried. */
export class RedirectRefusedError extends DownloadError {
  constructor(url: string, reason: string) {
    super(`refused to follow a redirect from ${redactUrl(url)}: ${reason}`, url);
    this.name = 'RedirectRefusedError';
  }
}

/**
 * The server answered a ranged part with the whole file (200): it ignores `Range`. The downloader then
 * falls back to one stream from byte 0; callers only see this if that fallback is impossible.
 */
export class RangeIgnoredError extends DownloadError {
  constructor(url: string) {
    super(`${redactUrl(url)} answered a ranged request with the whole file (the server ignores Range)`, url);
    this.name = 'RangeIgnoredError';
  }
}

/**
 * True when `error`, or one of its first causes, is a plain {@link DownloadError} (not one of the
 * subclasses above): what a pull or an install reports as "the site could not be reached".
 */
export function isPlainDownloadFailure(error: unknown): boolean {
  for (let e = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    // Every subclass sets a name of its own.
    if (e instanceof DownloadError && e.name === 'DownloadError') return true;
  }
  return false;
}
