import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Fixture } from './fixtures.js';
import { sseEvents } from './fixtures.js';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type StubHandler = (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>;

/** A real HTTP server (on 127.0.0.1 unless told otherwise) that answers by route; unknown routes get 404. */
export interface StubEngine {
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Sockets currently open (to check that clients hang up). */
  openSockets(): number;
  close(): Promise<void>;
}

/** Where a stub listens: another loopback address (127.0.0.2, `::1`) or a fixed port, e.g. a pool's shared one. */
export interface StubListen {
  host?: string;
  port?: number;
}

export async function startStubEngine(
  routes: Record<string, StubHandler>,
  listen: StubListen = {},
): Promise<StubEngine> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });
      const handler = routes[`${req.method} ${path}`] ?? routes[path];
      if (!handler) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"no route","code":404}}');
        return;
      }
      Promise.resolve(handler(req, res, body)).catch((error: unknown) => {
        res.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const host = listen.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port ?? 0, host, resolve);
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    requests,
    openSockets: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Replays a recorded response: status, content type and body; SSE bodies event by event. */
export function replay(fixture: Fixture, options: { eventDelayMs?: number } = {}): StubHandler {
  return async (_req, res) => {
    const { status, headers, body } = fixture.response;
    const contentType = headers['content-type'] ?? 'application/json';
    res.writeHead(status, { 'content-type': contentType });
    if (!contentType.includes('event-stream')) {
      res.end(body);
      return;
    }
    for (const event of sseEvents(body)) {
      if (res.destroyed) return;
      res.write(event);
      if (options.eventDelayMs) await delay(options.eventDelayMs);
    }
    res.end();
  };
}

/** Holds the response back for `waitMs` (an engine whose slots are all busy), then replays the fixture. */
export function queuedFor(waitMs: number, fixture: Fixture): StubHandler {
  const answer = replay(fixture);
  return async (req, res, body) => {
    await delay(waitMs);
    if (!res.destroyed) await answer(req, res, body);
  };
}

/** Sends the first `count` events of a recorded stream, then does `then`. */
export function partialStream(fixture: Fixture, count: number, then: 'hang' | 'destroy' | 'end'): StubHandler {
  return async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const event of sseEvents(fixture.response.body).slice(0, count)) res.write(event);
    if (then === 'destroy') {
      await delay(20);
      res.socket?.destroy();
    } else if (then === 'end') {
      res.end();
    }
    // 'hang': keep the socket open and silent until the client gives up.
  };
}

/** Accepts the request and never sends headers. */
export const hangBeforeHeaders: StubHandler = () => {};

/** Resets the TCP connection without any response. */
export const resetConnection: StubHandler = (req) => {
  req.socket.resetAndDestroy();
};

export function respond(status: number, contentType: string, body: string): StubHandler {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': contentType }).end(body);
  };
}

/** Streams `bytes` of non-protocol junk with no line breaks. */
export function garbage(bytes: number, contentType = 'application/json'): StubHandler {
  return async (_req, res) => {
    res.writeHead(200, { 'content-type': contentType });
    const block = Buffer.alloc(64 * 1024, 'x');
    for (let sent = 0; sent < bytes && !res.destroyed; sent += block.length) {
      if (!res.write(block)) await new Promise((resolve) => res.once('drain', resolve));
    }
    res.end();
  };
}
