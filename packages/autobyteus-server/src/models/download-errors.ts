/** Base class of every download failure; names the URL. */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly url: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DownloadError';
  }
}

/** The server answered with an HTTP error status. */
export class DownloadHttpError extends DownloadError {
  constructor(
    readonly status: number,
    url: string,
    detail?: string,
  ) {
    super(`HTTP ${status} fetching ${url}${detail ? `: ${detail}` : ''}`, url);
    this.name = 'DownloadHttpError';
  }

  /** 5xx, 408 and 429 are worth another try; other statuses are final. */
  get retryable(): boolean {
    return this.status >= 500 || this.status === 408 || this.status === 429;
  }
}

/** The downloaded bytes do not hash to the expected sha256 (the partial file has been deleted). */
export class ChecksumMismatchError extends DownloadError {
  constructor(
    readonly expected: string,
    readonly actual: string,
    url: string,
  ) {
    super(`sha256 mismatch for ${url}: expected ${expected}, got ${actual}`, url);
    this.name = 'ChecksumMismatchError';
  }
}

/** No byte arrived for `stallTimeoutMs`; the downloader retries these itself. */
export class DownloadStalledError extends DownloadError {
  constructor(
    url: string,
    readonly stallTimeoutMs: number,
  ) {
    super(`no data from ${url} for ${stallTimeoutMs} ms`, url);
    this.name = 'DownloadStalledError';
  }
}

/** Writing the partial file failed (disk full, I/O error): not retried. */
export class DownloadWriteError extends DownloadError {
  constructor(url: string, cause: Error) {
    super(`writing the download of ${url} failed: ${cause.message}`, url, { cause });
    this.name = 'DownloadWriteError';
  }
}
