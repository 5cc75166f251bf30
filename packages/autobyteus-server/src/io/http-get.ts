import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { DownloadError, RedirectRefusedError } from './download-errors.js';
import { redactUrl } from './redact-url.js';
import { abortReason } from './sleep.js';

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
  /** GET unless told otherwise: small POSTs and DELETEs (a warm-up completion, an admin call) use the same client. */
  method?: 'GET' | 'POST' | 'DELETE';
  /** Request body, for POST. */
  body?: string;
  headers?: Record<string, string>;
  /** Redirects followed before giving up (default 10); 0 returns the redirect response itself. */
  maxRedirects?: number;
  signal?: AbortSignal;
  /** Called with the live request so a caller can enforce its own timeouts (e.g. stall detection). */
  onRequest?: (destroy: (reason: Error) => void) => void;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * Opens a streaming HTTP(S) GET with node's own `http`/`https` modules (no body buffering, backpressure
 * straight from the socket), following redirects. `Authorization` is dropped when a redirect leaves the
 * original origin, as browsers and `fetch` do, so a hub token never reaches a CDN. A redirect to another
 * scheme (`file:`, `ftp:`) or past `maxRedirects` throws {@link RedirectRefusedError}, which is final.
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
    if (!REDIRECTS.has(opened.status) || maxRedirects === 0) return opened;
    const location = opened.response.headers.location;
    opened.response.resume();
    if (!location) return opened;
    const next = new URL(location, current);
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw new RedirectRefusedError(url, `redirected to the unsupported scheme ${next.protocol}`);
    }
    if (hop >= maxRedirects) throw new RedirectRefusedError(url, `more than ${maxRedirects} redirects`);
    current = next.toString();
  }
}

function openOnce(url: string, headers: Record<string, string>, options: HttpGetOptions): Promise<OpenedResponse> {
  return new Promise((resolve, reject) => {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      reject(new DownloadError(`unsupported URL scheme ${parsed.protocol} in ${redactUrl(url)}`, url));
      return;
    }
    // Before the request exists: one made and left behind would hold a connection, and its 'error'
    // when the peer closes it (nobody listens) would be an uncaught exception.
    if (options.signal?.aborted) {
      reject(abortReason(options.signal));
      return;
    }
    const send = parsed.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(parsed, {
      method: options.method ?? 'GET',
      headers: { 'accept-encoding': 'identity', ...headers },
    });
    let response: IncomingMessage | undefined;
    // Once the headers are in, through the response: `req.destroy(reason)` resumes a response whose body
    // is complete but unread, so node frees the socket for keep-alive and takes its error listener off
    // before `reason` is emitted on it (an uncaught exception, e.g. a pull cancelled as a part ends).
    const destroy = (reason?: Error) => (response ? response.destroy(reason) : req.destroy(reason));
    const onAbort = () => destroy(abortReason(options.signal));
    options.signal?.addEventListener('abort', onAbort, { once: true });
    req.once('close', () => options.signal?.removeEventListener('abort', onAbort));
    options.onRequest?.(destroy);
    // Kept for the request's whole life: errors after the headers also surface on the body stream.
    req.on('error', reject);
    req.once('response', (res) => {
      response = res;
      resolve({ url, status: res.statusCode ?? 0, response: res, destroy });
    });
    req.end(options.body);
  });
}

/** A small response read whole. */
export interface TextResponse {
  /** The URL that answered, after redirects. */
  url: string;
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
}

export interface GetTextOptions extends HttpGetOptions {
  /** Larger bodies are refused (default 1 MiB): this is for API answers and checksum files. */
  maxBytes?: number;
  /** Bound on the whole exchange (default 30 s). */
  timeoutMs?: number;
}

/**
 * GETs a small document (JSON API answer, checksum file) into memory with {@link httpGet}, bounded in
 * size and time. Any status is returned; network failures and oversize bodies throw {@link DownloadError}.
 */
export async function getText(url: string, options: GetTextOptions = {}): Promise<TextResponse> {
  const maxBytes = options.maxBytes ?? 1 << 20;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const shown = redactUrl(url);
  try {
    const opened = await httpGet(url, { ...options, signal });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of opened.response) {
      size += (chunk as Buffer).length;
      if (size > maxBytes) {
        opened.destroy();
        throw new DownloadError(`${shown} answered more than ${maxBytes} bytes; refusing to read it`, url);
      }
      chunks.push(chunk as Buffer);
    }
    return {
      url: opened.url,
      status: opened.status,
      headers: opened.response.headers,
      text: Buffer.concat(chunks).toString('utf8'),
    };
  } catch (error) {
    if (error instanceof DownloadError) throw error;
    if (options.signal?.aborted) throw abortReason(options.signal);
    const why = timeout.aborted ? `no complete answer within ${timeoutMs} ms` : (error as Error).message;
    // A timeout is "no answer"; any other failure is judged by its cause (a socket error, an invalid URL).
    throw new DownloadError(`${options.method ?? 'GET'} ${shown} failed: ${why}`, url, {
      cause: error,
      ...(timeout.aborted ? { reason: 'unreachable' as const } : {}),
    });
  }
}
