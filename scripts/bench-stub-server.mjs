// Stub engines for scripts/bench.mjs, run in a child process (child_process.fork) so that the
// servers' CPU time is not charged to the client being measured.
//
// The parent sends one message and gets one back:
//   { mode: 'discovery', healthy: 60, hanging: 20, modelsBody, propsBody }
//       -> { ready: true, healthyPorts: [...], hangingPorts: [...] }
//   { mode: 'stream', chunks: 100000 }
//       -> { ready: true, port, bytes, chunks }
// Then it serves until the parent disconnects or sends { stop: true }.
import { createServer } from 'node:http';
import { createServer as createNetServer } from 'node:net';

const listen = (server) =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server.address().port));
  });

const servers = [];
const heldSockets = new Set();

/** A healthy llama-server: `/health`, `/v1/models` and `/props` with the recorded bodies. */
function healthyLlamaServer(modelsBody, propsBody) {
  const routes = {
    '/health': Buffer.from('{"status":"ok"}'),
    '/v1/models': Buffer.from(modelsBody),
    '/props': Buffer.from(propsBody),
  };
  const server = createServer((req, res) => {
    req.resume();
    const body = routes[(req.url ?? '/').split('?')[0]];
    if (!body) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"no route","code":404}}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
    res.end(body);
  });
  server.keepAliveTimeout = 10_000;
  return server;
}

/** Accepts TCP connections, reads the request, and never answers. */
function hangingServer() {
  return createNetServer((socket) => {
    heldSockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => heldSockets.delete(socket));
    socket.resume();
  });
}

/** llama.cpp-shaped SSE body of `n` content chunks, a final chunk with finish_reason and usage, then [DONE]. */
function buildSseBody(n) {
  const chunk =
    'data: {"choices":[{"finish_reason":null,"index":0,"delta":{"content":"tok"}}],"created":1,"id":"x","model":"m","object":"chat.completion.chunk"}\n\n';
  const final = `data: {"choices":[{"finish_reason":"stop","index":0,"delta":{}}],"created":1,"id":"x","model":"m","object":"chat.completion.chunk","usage":{"completion_tokens":${n},"prompt_tokens":1,"total_tokens":${n + 1}}}\n\n`;
  return Buffer.from(`${chunk.repeat(n)}${final}data: [DONE]\n\n`);
}

async function start(msg) {
  if (msg.mode === 'discovery') {
    const healthyPorts = [];
    const hangingPorts = [];
    for (let i = 0; i < msg.healthy; i++) {
      const server = healthyLlamaServer(msg.modelsBody, msg.propsBody);
      servers.push(server);
      healthyPorts.push(await listen(server));
    }
    for (let i = 0; i < msg.hanging; i++) {
      const server = hangingServer();
      servers.push(server);
      hangingPorts.push(await listen(server));
    }
    return { ready: true, healthyPorts, hangingPorts };
  }
  if (msg.mode === 'stream') {
    const body = buildSseBody(msg.chunks);
    const server = createServer((req, res) => {
      if (req.method !== 'POST' || (req.url ?? '').split('?')[0] !== '/v1/chat/completions') {
        req.resume();
        res.writeHead(404).end();
        return;
      }
      // Read the request body first (as llama-server does), then send everything at once.
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write(body); // chunked transfer encoding, like llama-server
        res.end();
      });
    });
    server.keepAliveTimeout = 60_000;
    servers.push(server);
    const port = await listen(server);
    return { ready: true, port, bytes: body.length, chunks: msg.chunks };
  }
  throw new Error(`unknown mode ${msg.mode}`);
}

function stop() {
  for (const socket of heldSockets) socket.destroy();
  for (const server of servers) {
    server.closeAllConnections?.();
    server.close();
  }
  process.exit(0);
}

process.on('message', (msg) => {
  if (msg?.stop) return stop();
  start(msg).then(
    (reply) => process.send(reply),
    (error) => {
      process.send({ ready: false, error: String(error?.stack ?? error) });
      process.exit(1);
    },
  );
});
process.on('disconnect', stop);
