// Stub llama-server for scripts/bench-gateway.mjs, run as a separate process so its CPU time is not
// charged to the client, the gateway or LiteLLM. Answers discovery with recorded llama.cpp bodies and
// streams a llama.cpp-shaped SSE chat answer in one of two modes, switched over IPC between phases
// (`{ mode: 'paced' | 'flat' }`, acknowledged with `{ mode }`):
//   paced: the role event and the first token at once, then one token every 2 ms (64 tokens);
//   flat:  256 tokens, the whole answer in one write (as fast as the socket takes it).
// The final usage event is sent when the request asks for it (`stream_options.include_usage`), as
// llama-server does. /props reports 512 slots: the stub serves any number of streams at once, and a
// gateway that honours slot counts (ours queues beyond them) must see that, as with a real engine.
import { createServer } from 'node:http';
import { STUB_MODES } from './bench/gateway-stub-modes.mjs';
import { llamaCppFixtureBody } from './lib/fixtures.mjs';

const MODEL = 'SmolLM2-135M-Instruct';

/** Parallel streams the stub says it serves: it has no slot limit, so a gateway must not queue for one. */
const SLOTS = 512;
const props = JSON.parse(llamaCppFixtureBody('props'));
const routes = {
  '/health': '{"status":"ok"}',
  '/v1/models': llamaCppFixtureBody('models'),
  '/props': JSON.stringify({ ...props, total_slots: SLOTS }),
};
const head = `"created":1,"id":"chatcmpl-bench","model":"${MODEL}","system_fingerprint":"b1","object":"chat.completion.chunk"`;
const roleEvent = `data: {"choices":[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}],${head}}\n\n`;
// Each token's text differs (LiteLLM ends a stream that repeats one chunk 100 times as a model loop).
const tokenEvent = (i) =>
  `data: {"choices":[{"finish_reason":null,"index":0,"delta":{"content":" t${i}"}}],${head}}\n\n`;
const tokenEvents = (n) => Array.from({ length: n }, (_, i) => tokenEvent(i)).join('');
const stopEvent = `data: {"choices":[{"finish_reason":"stop","index":0,"delta":{}}],${head}}\n\n`;
const usageEvent = (n) =>
  `data: {"choices":[],${head},"usage":{"completion_tokens":${n},"prompt_tokens":5,"total_tokens":${n + 5}}}\n\n`;
const tail = (n, usage) => `${stopEvent}${usage ? usageEvent(n) : ''}data: [DONE]\n\n`;
/** The flat answer, prebuilt: without and with the usage event. */
const flatBody = [false, true].map((usage) =>
  Buffer.from(roleEvent + tokenEvents(STUB_MODES.flat.tokens) + tail(STUB_MODES.flat.tokens, usage)),
);
const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

let mode = 'flat';

/** Streams the paced answer: tokens 2 ms apart on a drift-free schedule; stops when the client goes. */
function paced(res, usage) {
  const { tokens, gapMs } = STUB_MODES.paced;
  const started = performance.now();
  let sent = 1;
  res.writeHead(200, SSE_HEADERS);
  res.write(roleEvent + tokenEvent(0));
  const next = () => {
    if (res.destroyed) return;
    res.write(tokenEvent(sent));
    sent++;
    if (sent === tokens) return res.end(tail(tokens, usage));
    setTimeout(next, Math.max(0, started + sent * gapMs - performance.now()));
  };
  setTimeout(next, gapMs);
}

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'POST' && path === '/v1/chat/completions') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      let usage = false;
      try {
        usage = JSON.parse(body).stream_options?.include_usage === true;
      } catch {}
      if (mode === 'paced') return paced(res, usage);
      res.writeHead(200, SSE_HEADERS);
      res.end(flatBody[usage ? 1 : 0]);
    });
    return;
  }
  req.resume();
  const body = routes[path];
  if (!body) return res.writeHead(404).end();
  res.writeHead(200, { 'content-type': 'application/json' }).end(body);
});
server.keepAliveTimeout = 60_000;
server.headersTimeout = 65_000;
server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
process.on('message', (message) => {
  if (message?.mode in STUB_MODES) {
    mode = message.mode;
    process.send?.({ mode });
  }
});
process.on('disconnect', () => process.exit(0));
