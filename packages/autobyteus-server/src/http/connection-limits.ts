import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { openAIError } from './openai-error.js';

/** Socket-level bounds. None of them limits how long a response (a long stream) may take. */
export interface ConnectionLimits {
  /** Idle time after a response before a keep-alive connection is closed (advertised to clients). */
  keepAliveTimeoutMs: number;
  /** Idle time on a fresh connection that has not started a request. */
  firstRequestTimeoutMs: number;
  /** Bound for receiving a whole request (headers and body), not for answering it. */
  requestTimeoutMs: number;
  /** How long an oversized upload is read and discarded after its 413, so the client can read it. */
  drainAfterRefusalMs: number;
}

/**
 * Node's default keep-alive (5 s, which clients honour from the Keep-Alive header); a generous
 * bound for receiving a 10 MB body on a slow link.
 */
export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  keepAliveTimeoutMs: 5_000,
  firstRequestTimeoutMs: 10_000,
  requestTimeoutMs: 120_000,
  drainAfterRefusalMs: 10_000,
};

/** Fastify constructor options for these limits. */
export function fastifyTimeoutOptions(limits: ConnectionLimits) {
  return { keepAliveTimeout: limits.keepAliveTimeoutMs, requestTimeout: limits.requestTimeoutMs };
}

/**
 * Closes connections that never send a request. Node bounds a keep-alive connection only after a
 * response and a request only once it has begun, so an opened-and-silent socket would stay forever.
 */
export function closeSilentConnections(app: FastifyInstance, limits: ConnectionLimits): void {
  app.server.on('connection', (socket) => socket.setTimeout(limits.firstRequestTimeoutMs));
  // A request has started: from here on requestTimeout and keepAliveTimeout apply, and a long
  // silent wait for the engine's first token must not close the socket.
  app.server.on('request', (req) => req.socket.setTimeout(0));
}

/**
 * Answers 413 from Content-Length before reading the body. The answer is written straight to the
 * socket with `connection: close`, the write side is half-closed, and what the client is still
 * sending is read and discarded for a while: closing at once would make the kernel reset the
 * connection and the client would often see EPIPE instead of the status. Returns true when it answered.
 */
export function refuseOversizedBody(
  request: FastifyRequest,
  reply: FastifyReply,
  maxBodyBytes: number,
  drainMs: number,
): boolean {
  const declared = Number(request.headers['content-length']);
  if (!(declared > maxBodyBytes)) return false;
  reply.hijack();
  const body = JSON.stringify(
    openAIError(`request body larger than ${maxBodyBytes} bytes`, 'request_too_large', 'FST_ERR_CTP_BODY_TOO_LARGE'),
  );
  const socket = request.raw.socket;
  const timer = setTimeout(() => socket.destroy(), drainMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  request.raw.on('end', () => socket.destroy());
  request.raw.resume();
  socket.end(
    'HTTP/1.1 413 Payload Too Large\r\n' +
      'content-type: application/json; charset=utf-8\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      `x-request-id: ${request.id}\r\n` +
      'connection: close\r\n\r\n' +
      body,
  );
  request.log.info({ declared, limit: maxBodyBytes }, 'request body too large; refused before reading');
  return true;
}
