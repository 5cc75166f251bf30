// Stub llama-server for scripts/bench-gateway.mjs, run as a separate process so its CPU time is
// not charged to the client or the gateway. Answers discovery with recorded bodies and streams a
// fixed llama.cpp-shaped SSE answer of CHUNKS events as fast as the socket takes it.
import { createServer } from 'node:http';
import { llamaCppFixtureBody } from './lib/fixtures.mjs';

const chunks = Number(process.argv[2] ?? 256);
const routes = {
  '/health': '{"status":"ok"}',
  '/v1/models': llamaCppFixtureBody('models'),
  '/props': llamaCppFixtureBody('props'),
};
const event =
  'data: {"choices":[{"finish_reason":null,"index":0,"delta":{"content":" tok"}}],"created":1,"id":"x","model":"SmolLM2-135M-Instruct","object":"chat.completion.chunk"}\n\n';
const final = `data: {"choices":[{"finish_reason":"stop","index":0,"delta":{}}],"created":1,"id":"x","model":"SmolLM2-135M-Instruct","object":"chat.completion.chunk"}\n\ndata: {"choices":[],"created":1,"id":"x","model":"SmolLM2-135M-Instruct","object":"chat.completion.chunk","usage":{"completion_tokens":${chunks},"prompt_tokens":5,"total_tokens":${chunks + 5}}}\n\ndata: [DONE]\n\n`;
const first = Buffer.from(
  'data: {"choices":[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}],"created":1,"id":"x","model":"SmolLM2-135M-Instruct","object":"chat.completion.chunk"}\n\n',
);
const rest = Buffer.from(event.repeat(chunks) + final);

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'POST' && path === '/v1/chat/completions') {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(first);
      res.end(rest);
    });
    return;
  }
  req.resume();
  const body = routes[path];
  if (!body) return res.writeHead(404).end();
  res.writeHead(200, { 'content-type': 'application/json' }).end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
process.on('disconnect', () => process.exit(0));
