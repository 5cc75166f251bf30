import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the test release server answers one path. */
export type Route =
  | { kind: 'bytes'; body: Buffer }
  /** Sends the headers (full Content-Length) and part of the body, then drops the connection. */
  | { kind: 'cut'; body: Buffer; after: number }
  | { kind: 'status'; status: number };

/** A GitHub-releases-shaped HTTP server on 127.0.0.1; unknown paths answer 404. Records every request. */
export async function startReleaseServer(routes: Map<string, Route>): Promise<{
  baseUrl: string;
  requests: string[];
  close(): Promise<void>;
}> {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const route = routes.get(req.url ?? '');
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    if (route.kind === 'status') {
      res.writeHead(route.status).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': route.body.length });
    if (route.kind === 'bytes') {
      res.end(route.body);
      return;
    }
    res.write(route.body.subarray(0, route.after), () => setTimeout(() => res.socket?.destroy(), 20));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/releases`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
