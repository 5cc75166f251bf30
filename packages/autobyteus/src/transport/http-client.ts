import { Agent, type Dispatcher, request } from 'undici';
import {
  EngineConnectionError,
  EngineProtocolError,
  EngineTimeoutError,
  type LLMError,
  RequestAbortedError,
  type RequestContext,
  StreamInterruptedError,
} from './llm-errors.js';

export interface HttpClientOptions {
  connectTimeoutMs: number;
  /**
   * Default bound on the wait for response headers. An engine answers headers only once it starts
   * working on the request, so this wait includes queueing for a free slot: it is not silence.
   */
  queueTimeoutMs: number;
  /** Default bound on silence between body chunks, once the engine has started answering. */
  idleTimeoutMs: number;
}

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string;
  context: RequestContext;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
  /** Overrides the client's bound on the wait for headers for this request. */
  queueTimeoutMs?: number;
  /** Overrides the client's idle bound (between body chunks) for this request. */
  idleTimeoutMs?: number;
  /** Bound for the whole exchange, body included; 0 or undefined for none. */
  totalTimeoutMs?: number;
}

/** Largest non-streamed body we read; protects against a host that sends endless garbage. */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * One keep-alive connection pool with connect and idle bounds, and typed errors that name the host
 * and endpoint. Discovery and chat share one client, so repeated calls reuse sockets.
 */
export class HttpClient {
  private readonly agent: Agent;

  constructor(readonly options: HttpClientOptions) {
    this.agent = new Agent({
      connect: { timeout: options.connectTimeoutMs },
      headersTimeout: options.queueTimeoutMs,
      bodyTimeout: options.idleTimeoutMs,
      keepAliveTimeout: 10_000,
    });
  }

  /** Sends the request and resolves once response headers arrive. The caller must consume or `dispose()` the body. */
  async open(req: HttpRequest): Promise<HttpResponse> {
    if (req.signal?.aborted) throw new RequestAbortedError(req.context);
    const exchange = new Exchange(req, this.options);
    try {
      const response = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.body,
        dispatcher: this.agent,
        signal: exchange.controller.signal,
        headersTimeout: exchange.queueTimeoutMs,
        bodyTimeout: exchange.idleTimeoutMs,
      });
      exchange.headersReceived = true;
      return new HttpResponse(response, exchange);
    } catch (error) {
      exchange.finish();
      throw exchange.toError(error);
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** Timers and abort wiring of one request; turns low-level failures into typed errors. */
class Exchange {
  readonly controller = new AbortController();
  readonly queueTimeoutMs: number;
  readonly idleTimeoutMs: number;
  headersReceived = false;
  private abortedByCaller = false;
  private timedOut = false;
  private timer?: NodeJS.Timeout;
  private readonly onCallerAbort = () => {
    this.abortedByCaller = true;
    this.controller.abort();
  };

  constructor(
    readonly req: HttpRequest,
    readonly options: HttpClientOptions,
  ) {
    this.queueTimeoutMs = req.queueTimeoutMs ?? options.queueTimeoutMs;
    this.idleTimeoutMs = req.idleTimeoutMs ?? options.idleTimeoutMs;
    req.signal?.addEventListener('abort', this.onCallerAbort, { once: true });
    if (req.totalTimeoutMs) {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        this.controller.abort();
      }, req.totalTimeoutMs);
      this.timer.unref?.();
    }
  }

  finish(): void {
    if (this.timer) clearTimeout(this.timer);
    this.req.signal?.removeEventListener('abort', this.onCallerAbort);
  }

  toError(error: unknown): LLMError {
    const ctx = this.req.context;
    if (this.abortedByCaller) return new RequestAbortedError(ctx, { cause: error });
    if (this.timedOut) return new EngineTimeoutError(ctx, 'total', this.req.totalTimeoutMs ?? 0, { cause: error });
    if (isLLMErrorLike(error)) return error;
    const code = (error as { code?: string } | undefined)?.code ?? '';
    const message = error instanceof Error ? error.message : String(error);
    switch (code) {
      case 'UND_ERR_CONNECT_TIMEOUT':
        return new EngineTimeoutError(ctx, 'connect', this.options.connectTimeoutMs, {
          cause: error,
          hint: 'check that the host is up and reachable',
        });
      case 'UND_ERR_HEADERS_TIMEOUT':
        return new EngineTimeoutError(ctx, 'queue', this.queueTimeoutMs, {
          cause: error,
          hint: 'the engine accepted the request but did not start answering (every slot busy, or it hangs)',
        });
      case 'UND_ERR_BODY_TIMEOUT':
        return new EngineTimeoutError(ctx, 'idle', this.idleTimeoutMs, {
          cause: error,
          hint: 'the engine started answering, then went silent',
        });
      case 'ECONNREFUSED':
        return new EngineConnectionError(ctx, 'connection refused', {
          cause: error,
          hint: 'is the engine running on this host and port?',
        });
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
        return new EngineConnectionError(ctx, 'host name not found', { cause: error });
      case 'UND_ERR_RESPONSE_EXCEEDED_MAX_SIZE':
        return new EngineProtocolError(ctx, 'response too large', { cause: error });
      default:
        break;
    }
    if (this.headersReceived) {
      return new StreamInterruptedError(ctx, `connection lost mid-response (${code || message})`, { cause: error });
    }
    return new EngineConnectionError(ctx, `connection failed (${code || message})`, { cause: error });
  }
}

function isLLMErrorLike(error: unknown): error is LLMError {
  return error instanceof Error && 'kind' in error && 'host' in error && 'endpoint' in error;
}

/** An open response: status, headers, and a body read either whole (bounded) or chunk by chunk. */
export class HttpResponse {
  readonly status: number;
  readonly contentType: string;
  private finished = false;

  constructor(
    private readonly raw: Dispatcher.ResponseData,
    private readonly exchange: Exchange,
  ) {
    this.status = raw.statusCode;
    const type = raw.headers['content-type'];
    this.contentType = (Array.isArray(type) ? type[0] : type) ?? '';
  }

  get context(): RequestContext {
    return this.exchange.req.context;
  }

  /** The body as text, at most `maxBytes`; a larger body is a protocol error, not a memory blow-up. */
  async text(maxBytes = DEFAULT_MAX_BODY_BYTES): Promise<string> {
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of this.chunks()) {
      size += chunk.length;
      if (size > maxBytes) {
        this.dispose();
        throw new EngineProtocolError(this.context, `response body larger than ${maxBytes} bytes`, {
          status: this.status,
        });
      }
      parts.push(chunk);
    }
    return Buffer.concat(parts).toString('utf8');
  }

  /** Body chunks as they arrive; failures become typed errors. Always releases the request's timers. */
  async *chunks(): AsyncGenerator<Buffer> {
    try {
      for await (const chunk of this.raw.body) yield chunk as Buffer;
    } catch (error) {
      throw this.exchange.toError(error);
    } finally {
      this.dispose();
    }
  }

  /** Releases timers and the socket without reading the rest of the body. */
  dispose(): void {
    if (this.finished) return;
    this.finished = true;
    this.exchange.finish();
    if (!this.raw.body.destroyed) this.raw.body.destroy();
  }
}
