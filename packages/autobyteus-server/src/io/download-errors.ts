import { redactUrl } from './redact-url.js';

/**
 * Where a plain {@link DownloadError} went wrong, set by its thrower when it knows: `unreachable` (no
 * connection, or no answer in time), `interrupted` (the connection closed before the end of the body),
 * `corrupt` (the bytes arrived but are not the file expected; they were deleted).
 */
export type DownloadErrorReason = 'unreachable' | 'interrupted' | 'corrupt';

/** Base class of every download failure; names the URL (redacted: no credentials, no query values). */
export class DownloadError extends Error {
  /** The URL, redacted as it may be printed. */
  readonly url: string;
  /**
   * Where it went wrong, when the thrower knows. Undefined for the rest (a refusal, a listing that makes
   * no sense) and for "giving up", whose cause (the last attempt's error) says it.
   */
  readonly reason: DownloadErrorReason | undefined;

  constructor(message: string, url: string, options?: { cause?: unknown; reason?: DownloadErrorReason }) {
    super(message, options);
    this.name = 'DownloadError';
    this.url = redactUrl(url);
    this.reason = options?.reason;
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
  /** What was hashed, redacted: a URL, a file or an archive member. */
  readonly subject: string;

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
    this.subject = redactUrl(subject);
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
 * A failed download in terms its user can act on ({@link classifyDownloadFailure}):
 * - `unreachable`: no connection to the host, or no answer in time (DNS, refused, unreachable, timeout, stall);
 * - `upstream`: the host answered with an HTTP error worth retrying (5xx, 408, 429) until the downloader gave up;
 * - `interrupted`: the host answered but closed the connection before the end of the file, until it gave up;
 * - `corrupt`: the file is not the expected one (its size, git blob id or sha256); nothing of it was kept.
 */
export interface DownloadFailure {
  kind: DownloadErrorReason | 'upstream';
  /** `host[:port]` of the URL that failed; undefined when the error names none. */
  host: string | undefined;
  /** `upstream`: the HTTP status of the last answer. */
  status?: number;
  /** `corrupt`: true when it is a sha256 that did not match ({@link ChecksumMismatchError}). */
  sha256Mismatch?: boolean;
}

/** Socket and resolver errors that mean "no connection" (or none that lasted until an answer). */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
]);

/**
 * What kind of download failure `error` is, from it and its first causes (outermost first: a "giving
 * up" error is judged by the last attempt's error it wraps). Undefined for every other error, among them
 * the subclasses above (full disk, refused redirect, ...) and a final 4xx, which callers name themselves.
 */
export function classifyDownloadFailure(error: unknown): DownloadFailure | undefined {
  let host: string | undefined;
  for (let e = error, depth = 0; e && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof DownloadError) host = hostOf(e.url) ?? host;
    if (e instanceof DownloadHttpError) return e.retryable ? { kind: 'upstream', host, status: e.status } : undefined;
    if (e instanceof DownloadStalledError) return { kind: 'unreachable', host };
    if (e instanceof ChecksumMismatchError) {
      return { kind: 'corrupt', host: hostOf(e.subject) ?? host, sha256Mismatch: true };
    }
    if (e instanceof DownloadError) {
      if (e.reason) return { kind: e.reason, host };
      // Every subclass sets a name of its own and is a failure of its own kind.
      if (e.name !== 'DownloadError') return undefined;
      continue;
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && UNREACHABLE_CODES.has(code)) return { kind: 'unreachable', host };
  }
  return undefined;
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host || undefined;
  } catch {
    return undefined;
  }
}
