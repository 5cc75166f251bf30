import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** `(receivedBytes, totalBytes)`; total is undefined when the server does not say. */
export type DownloadProgress = (receivedBytes: number, totalBytes: number | undefined) => void;

export interface DownloadOptions {
  onProgress?: DownloadProgress;
  signal?: AbortSignal;
  /** Longest wait for the response or between two chunks (default 60 s). */
  idleTimeoutMs?: number;
}

/** A download that did not complete; the message says how far it got and why. */
export class DownloadError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'DownloadError';
  }
}

/** A fetch whose abort signal fires when no byte arrived for idleMs; `touch()` restarts the clock. */
function idleGuard(idleMs: number, outer?: AbortSignal) {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let idle = false;
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      idle = true;
      controller.abort(new Error(`no data for ${Math.round(idleMs / 1000)} s`));
    }, idleMs);
  };
  const signal = outer ? AbortSignal.any([outer, controller.signal]) : controller.signal;
  return { signal, touch, stop: () => clearTimeout(timer), timedOut: () => idle };
}

async function get(url: string, signal: AbortSignal): Promise<Response> {
  try {
    // identity: a mirror that gzips .tar.gz on the fly would otherwise change the bytes we hash.
    return await fetch(url, { signal, redirect: 'follow', headers: { 'accept-encoding': 'identity' } });
  } catch (error) {
    const cause = (error as Error & { cause?: Error }).cause;
    throw new DownloadError(`GET ${url} failed: ${cause?.message ?? (error as Error).message}`, undefined, {
      cause: error,
    });
  }
}

/**
 * Streams `url` into `dest` (never holding the whole body in memory), hashing as it goes.
 * Fails with DownloadError on a non-2xx answer, a stalled or cut connection, or a body shorter
 * than its Content-Length. Follows redirects (GitHub sends release assets from another host).
 */
export async function downloadToFile(
  url: string,
  dest: string,
  options: DownloadOptions = {},
): Promise<{ bytes: number; sha256: string }> {
  const guard = idleGuard(options.idleTimeoutMs ?? 60_000, options.signal);
  guard.touch();
  let received = 0;
  let total: number | undefined;
  try {
    const response = await get(url, guard.signal);
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new DownloadError(`GET ${url} answered ${response.status} ${response.statusText}`, response.status);
    }
    const length = Number(response.headers.get('content-length'));
    total = Number.isFinite(length) && length > 0 ? length : undefined;
    const hash = createHash('sha256');
    options.onProgress?.(0, total);
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        guard.touch();
        received += chunk.length;
        hash.update(chunk);
        options.onProgress?.(received, total);
        done(null, chunk);
      },
    });
    await pipeline(
      Readable.fromWeb(response.body as import('node:stream/web').ReadableStream),
      meter,
      createWriteStream(dest),
    );
    if (total !== undefined && received !== total) {
      throw new DownloadError(`download of ${url} ended after ${received} of ${total} bytes`);
    }
    return { bytes: received, sha256: hash.digest('hex') };
  } catch (error) {
    if (error instanceof DownloadError) throw error;
    const why = guard.timedOut()
      ? `no data for ${Math.round((options.idleTimeoutMs ?? 60_000) / 1000)} s`
      : options.signal?.aborted
        ? 'cancelled'
        : 'the connection was cut';
    throw new DownloadError(
      `download of ${url} failed after ${received}${total ? ` of ${total}` : ''} bytes: ${why}`,
      undefined,
      { cause: error },
    );
  } finally {
    guard.stop();
  }
}

/**
 * Fetches a small text file (a checksum file), at most `maxBytes`. Null when the server answers
 * 404 or 410 (the file does not exist); throws DownloadError on other failures.
 */
export async function fetchSmallText(
  url: string,
  options: { signal?: AbortSignal; idleTimeoutMs?: number; maxBytes?: number } = {},
): Promise<string | null> {
  const maxBytes = options.maxBytes ?? 64 * 1024;
  const guard = idleGuard(options.idleTimeoutMs ?? 30_000, options.signal);
  guard.touch();
  try {
    const response = await get(url, guard.signal);
    if (response.status === 404 || response.status === 410) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new DownloadError(`GET ${url} answered ${response.status} ${response.statusText}`, response.status);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      guard.touch();
      size += chunk.length;
      if (size > maxBytes) throw new DownloadError(`${url} is larger than ${maxBytes} bytes; not a checksum file`);
      chunks.push(Buffer.from(chunk));
    }
    return Buffer.concat(chunks).toString('utf8');
  } catch (error) {
    if (error instanceof DownloadError) throw error;
    throw new DownloadError(`GET ${url} failed: ${(error as Error).message}`, undefined, { cause: error });
  } finally {
    guard.stop();
  }
}
