import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** A GET whose headers have arrived; the body is still unread on `response`. */
export interface OpenedResponse {
  /** The URL that answered, after redirects. */
  url: string;
  status: number;
  response: IncomingMessage;
  /** Aborts the underlying request (the body stream then errors with `reason`). */
  destroy(reason?: Error): void;
}

export interface HttpGetOptions {
  headers?: Record<string, string>;
  /** Redirects followed before giving up (default 10). */
  maxRedirects?: number;
  signal?: AbortSignal;
  /** Called with the live request so a caller can enforce its own timeouts (e.g. stall detection). */
  onRequest?: (destroy: (reason: Error) => void) => void;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Opens a streaming HTTP(S) GET with node's own `http`/`https` modules (no body buffering, backpressure
 * straight from the socket), following redirects. `Authorization` is dropped when a redirect leaves the
 * original origin, as browsers and `fetch` do, so a hub token never reaches a CDN.
 *
 * Resolves once the final response's headers arrive; the caller must consume or destroy the body.
 */
export async function httpGet(url: string, options: HttpGetOptions = {}): Promise<OpenedResponse> {
  const maxRedirects = options.maxRedirects ?? 10;
  const origin = new URL(url).origin;
  let current = url;
  for (let hop = 0; ; hop++) {
    const headers = { ...options.headers };
    if (new URL(current).origin !== origin) {
      for (const name of Object.keys(headers)) if (name.toLowerCase() === 'authorization') delete headers[name];
    }
    const opened = await openOnce(current, headers, options);
    if (!REDIRECTS.has(opened.status)) return opened;
    const location = opened.response.headers.location;
    opened.response.resume();
    if (!location) return opened;
    if (hop >= maxRedirects) throw new Error(`too many redirects fetching ${url}`);
    current = new URL(location, current).toString();
  }
}

function openOnce(url: string, headers: Record<string, string>, options: HttpGetOptions): Promise<OpenedResponse> {
  return new Promise((resolve, reject) => {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      reject(new Error(`unsupported URL scheme ${parsed.protocol} in ${url}`));
      return;
    }
    const send = parsed.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(parsed, { method: 'GET', headers: { 'accept-encoding': 'identity', ...headers } });
    const destroy = (reason?: Error) => req.destroy(reason);
    const onAbort = () => destroy(abortReason(options.signal));
    if (options.signal?.aborted) {
      reject(abortReason(options.signal));
      return;
    }
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.once('close', () => options.signal?.removeEventListener('abort', onAbort));
    options.onRequest?.(destroy);
    // Kept for the request's whole life: errors after the headers also surface on the body stream.
    req.on('error', reject);
    req.once('response', (response) => {
      resolve({ url, status: response.statusCode ?? 0, response, destroy });
    });
    req.end();
  });
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason;
  const error = new Error('the download was aborted');
  error.name = 'AbortError';
  return error;
}
