import type { z } from 'zod';
import { errorFromResponse } from './engine-error-body.js';
import type { HttpClient } from './http-client.js';
import { EngineProtocolError, type RequestContext } from './llm-errors.js';

export interface JsonRequest<T> {
  http: HttpClient;
  method?: 'GET' | 'POST';
  baseUrl: string;
  path: string;
  runtime: string;
  schema: z.ZodType<T>;
  apiKey?: string;
  body?: unknown;
  signal?: AbortSignal;
  queueTimeoutMs?: number;
  idleTimeoutMs?: number;
  totalTimeoutMs?: number;
  model?: string;
  /** Value to use when the engine answers 200 with an empty body (mlx_lm.server does for `/v1/models`). */
  emptyBody?: T;
  maxBytes?: number;
}

export function authHeaders(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}

/** Describes a zod failure briefly: the first few paths and messages. */
export function describeSchemaError(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
}

/**
 * One JSON request/response exchange, validated against `schema`. Any HTTP error, non-JSON body or
 * wrong shape becomes a typed error naming host, endpoint and problem.
 */
export async function requestJson<T>(req: JsonRequest<T>): Promise<T> {
  const method = req.method ?? 'GET';
  const context: RequestContext = {
    runtime: req.runtime,
    host: req.baseUrl,
    endpoint: `${method} ${req.path}`,
    model: req.model,
  };
  const headers: Record<string, string> = { accept: 'application/json', ...authHeaders(req.apiKey) };
  if (req.body !== undefined) headers['content-type'] = 'application/json';
  const response = await req.http.open({
    method,
    url: req.baseUrl + req.path,
    context,
    headers,
    body: req.body === undefined ? undefined : JSON.stringify(req.body),
    signal: req.signal,
    queueTimeoutMs: req.queueTimeoutMs,
    idleTimeoutMs: req.idleTimeoutMs,
    totalTimeoutMs: req.totalTimeoutMs,
  });
  const text = await response.text(req.maxBytes);
  if (response.status >= 400) throw errorFromResponse(context, response.status, text);
  if (text.trim() === '' && req.emptyBody !== undefined) return req.emptyBody;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 120);
    throw new EngineProtocolError(
      context,
      `expected JSON, got ${response.contentType || 'no content type'}: ${snippet || 'empty body'}`,
      { status: response.status, hint: 'is this URL really the engine and not some other web server?' },
    );
  }
  const parsed = req.schema.safeParse(json);
  if (!parsed.success) {
    throw new EngineProtocolError(context, `unexpected response shape: ${describeSchemaError(parsed.error)}`, {
      status: response.status,
    });
  }
  return parsed.data;
}
