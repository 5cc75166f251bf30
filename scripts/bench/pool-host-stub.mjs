// One stub llama.cpp host for scripts/bench/pools.mjs, run in its own child process (forkStub) so that it can
// be SIGKILLed and restarted on the same port, and so its CPU time is not charged to the client.
//
// The parent sends one message and gets one back:
//   { port: 0 | N, slots: 4, tokens: 200, tokenDelayMs: 5 }  ->  { ready: true, port }
// It answers /health, /v1/models and /props with the recorded llama-server bodies (`total_slots` set to `slots`)
// and POST /v1/chat/completions: non-streamed with the recorded answer at once, streamed with `tokens` content
// events paced `tokenDelayMs` apart on an absolute schedule (timer lateness does not add up). Like llama-server
// it runs at most `slots` chats at once; the others wait in arrival order. On its first chat it sends
// { firstChat: true }; { stats: true } answers { stats: { chats, maxInFlight, queuedMax, waited } }; { stop: true } exits.
import { createServer } from 'node:http';
import { llamaCppFixtureBody } from '../lib/fixtures.mjs';

const ROUTES = { '/health': llamaCppFixtureBody('health'), '/v1/models': llamaCppFixtureBody('models') };
const CHAT_BODY = Buffer.from(llamaCppFixtureBody('chat'));
const EVENT = (content) =>
  `data: {"choices":[{"finish_reason":null,"index":0,"delta":{"content":${JSON.stringify(content)}}}],"created":1,"id":"x","model":"SmolLM2-135M-Instruct","object":"chat.completion.chunk"}\n\n`;
const ROLE_EVENT =
  'data: {"choices":[{"finish_reason":null,"index":0,"delta":{"role":"assistant","content":null}}],"created":1,"id":"x","model":"SmolLM2-135M-Instruct","object":"chat.completion.chunk"}\n\n';
const finalEvents = (n) =>
  `data: {"choices":[{"finish_reason":"length","index":0,"delta":{}}],"created":1,"id":"x","model":"SmolLM2-135M-Instruct","object":"chat.completion.chunk"}\n\ndata: {"choices":[],"created":1,"id":"x","model":"SmolLM2-135M-Instruct","object":"chat.completion.chunk","usage":{"completion_tokens":${n},"prompt_tokens":5,"total_tokens":${n + 5}}}\n\ndata: [DONE]\n\n`;

let server;
const stats = { chats: 0, maxInFlight: 0, queuedMax: 0, waited: 0 };

/** At most `slots` holders at once; `take` resolves in arrival order. */
function slotGate(slots) {
  let busy = 0;
  const waiting = [];
  return {
    take: () =>
      new Promise((resolve) => {
        const grant = () => {
          busy++;
          stats.maxInFlight = Math.max(stats.maxInFlight, busy);
          let freed = false;
          resolve(() => {
            if (freed) return;
            freed = true;
            busy--;
            waiting.shift()?.();
          });
        };
        if (busy < slots) grant();
        else {
          waiting.push(grant);
          stats.waited++;
          stats.queuedMax = Math.max(stats.queuedMax, waiting.length);
        }
      }),
  };
}

/** Streams `n` paced content events, then the final chunk, usage and [DONE]; stops early if the client goes. */
function streamTokens(res, n, delayMs, done) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(ROLE_EVENT);
  const start = performance.now();
  let sent = 0;
  let timer;
  res.once('close', () => {
    clearTimeout(timer);
    done();
  });
  const tick = () => {
    sent++;
    res.write(EVENT(' tok'));
    if (sent === n) {
      res.end(finalEvents(n));
      done();
      return;
    }
    timer = setTimeout(tick, Math.max(0, start + (sent + 1) * delayMs - performance.now()));
  };
  timer = setTimeout(tick, delayMs);
}

function start({ port = 0, slots = 1, tokens = 200, tokenDelayMs = 5 }) {
  const props = JSON.parse(llamaCppFixtureBody('props'));
  props.total_slots = slots;
  const routes = { ...ROUTES, '/props': JSON.stringify(props) };
  const gate = slotGate(slots);
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      req.resume();
      const body = routes[path];
      if (!body) return res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":404}}');
      return res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(body);
    }
    const parts = [];
    req.on('data', (d) => parts.push(d));
    req.on('end', async () => {
      if (stats.chats++ === 0) process.send({ firstChat: true });
      const stream = JSON.parse(Buffer.concat(parts).toString()).stream === true;
      const free = await gate.take();
      if (res.destroyed) return free();
      if (stream) return streamTokens(res, tokens, tokenDelayMs, free);
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': CHAT_BODY.length });
      res.end(CHAT_BODY);
      free();
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ ready: true, port: server.address().port }));
  });
}

function stop() {
  server?.closeAllConnections?.();
  server?.close();
  process.exit(0);
}

process.on('message', (msg) => {
  if (msg?.stop) return stop();
  if (msg?.stats) return process.send({ stats });
  start(msg).then(
    (reply) => process.send(reply),
    (error) => {
      process.send({ ready: false, error: String(error?.stack ?? error) });
      process.exit(1);
    },
  );
});
process.on('disconnect', stop);
