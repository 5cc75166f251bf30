import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import type { ServerConfig } from '../config/server-config.js';
import { DownloadError } from '../io/download-errors.js';
import { getText, type TextResponse } from '../io/http-get.js';

/** Where the CLI reaches the server of its home, and the bearer token it sends (if any). */
export interface ServerEndpoint {
  base: string;
  token?: string;
}

/** No process listens at the server's address. */
export class ServerNotRunningError extends Error {
  constructor(readonly base: string) {
    super(`no autobyteus-server is running at ${base}: start it with \`autobyteus-server up\` (or serve)`);
    this.name = 'ServerNotRunningError';
  }
}

/** The server answered with an error (an OpenAI error body): its status, code and message. */
export class ServerAnswerError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
  ) {
    super(message);
    this.name = 'ServerAnswerError';
  }
}

/** Addresses a server listens on that a client cannot connect to: the wildcard ones. */
const WILDCARD = new Set(['0.0.0.0', '::', '[::]']);
/** Socket errors that mean nothing listens there (as opposed to a slow or broken server). */
const NOT_LISTENING = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ENOTFOUND',
]);

/**
 * The running server of this home: `http://AUTOBYTEUS_HOST:AUTOBYTEUS_PORT` (a wildcard host becomes
 * 127.0.0.1), with `AUTOBYTEUS_API_TOKEN`, else the token the server generated in `<home>/api-token`
 * (a server listening beyond loopback writes it there on its first start).
 */
export function serverEndpoint(config: ServerConfig): ServerEndpoint {
  const v = config.values;
  const host = WILDCARD.has(v.AUTOBYTEUS_HOST) ? '127.0.0.1' : v.AUTOBYTEUS_HOST;
  const base = `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${v.AUTOBYTEUS_PORT}`;
  let token = v.AUTOBYTEUS_API_TOKEN;
  if (!token) {
    try {
      token = readFileSync(join(config.home, 'api-token'), 'utf8').trim() || undefined;
    } catch {
      // No token file: a loopback server without a configured token needs none.
    }
  }
  return { base, ...(token ? { token } : {}) };
}

function errorCode(error: unknown): string | undefined {
  const cause = (error as { cause?: unknown }).cause as (NodeJS.ErrnoException & { errors?: unknown[] }) | undefined;
  if (!cause) return undefined;
  // Node reports a connect that failed on every address family as an AggregateError.
  return cause.code ?? (cause.errors?.[0] as NodeJS.ErrnoException | undefined)?.code;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The message and code of an OpenAI error body, when it is one. */
function errorBody(json: unknown): { message: string; code: string | null } | undefined {
  const error = (json as { error?: { message?: unknown; code?: unknown } } | undefined)?.error;
  if (typeof error?.message !== 'string') return undefined;
  return { message: error.message, code: typeof error.code === 'string' ? error.code : null };
}

/**
 * One admin API call to the running server, its 2xx answer validated with `schema`. Throws
 * {@link ServerNotRunningError} when nothing listens, {@link ServerAnswerError} for an error answer,
 * and a plain Error when what answered is not an autobyteus-server.
 */
export async function callServer<T>(
  endpoint: ServerEndpoint,
  request: { method: 'GET' | 'POST' | 'DELETE'; path: string; body?: unknown; timeoutMs?: number },
  schema: z.ZodType<T>,
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (endpoint.token) headers.authorization = `Bearer ${endpoint.token}`;
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  let response: TextResponse;
  try {
    response = await getText(`${endpoint.base}${request.path}`, {
      method: request.method,
      headers,
      ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
      timeoutMs: request.timeoutMs ?? 30_000,
      maxRedirects: 0,
    });
  } catch (error) {
    if (error instanceof DownloadError && NOT_LISTENING.has(errorCode(error) ?? '')) {
      throw new ServerNotRunningError(endpoint.base);
    }
    throw error;
  }
  const json = parseJson(response.text);
  if (response.status >= 200 && response.status < 300) {
    const parsed = schema.safeParse(json);
    if (parsed.success) return parsed.data;
  } else {
    const body = errorBody(json);
    if (body) {
      const hint =
        response.status === 401
          ? ' (the CLI sends AUTOBYTEUS_API_TOKEN, else the token in $AUTOBYTEUS_HOME/api-token)'
          : '';
      throw new ServerAnswerError(response.status, body.code, `${body.message}${hint}`);
    }
  }
  throw new Error(
    `${endpoint.base} answered ${request.method} ${request.path} with HTTP ${response.status} but not as autobyteus-server does: is it another program?`,
  );
}
