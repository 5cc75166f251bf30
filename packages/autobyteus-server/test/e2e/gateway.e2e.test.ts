import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixture } from '../../../autobyteus/test/support/fixtures.js';
import { type RunningEngine, startLlamaServer } from '../../../autobyteus/test/support/real-engines.js';
import {
  partialStream,
  replay,
  respond,
  type StubEngine,
  startStubEngine,
} from '../../../autobyteus/test/support/stub-engine.js';
import { type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';

// The server runs as a child process with a config.toml, in front of the test suite's real
// llama-server and of stub hosts that replay recorded answers or misbehave on purpose.
const MARKER = `PROMPT-MARKER-${Date.now()}-7f3a`;
let engine: RunningEngine;
let flaky: StubEngine;
let toolHost: StubEngine;
let server: ServerProcess;
let client: OpenAI;
let realId: string;
let flakyHealthy = true;
/** Streams the flaky host stopped because the other side hung up. */
let upstreamAborted = 0;
let flakyDies = false;

beforeAll(async () => {
  engine = await startLlamaServer();
  const health = loadFixture('llama-cpp', 'health');
  const models = loadFixture('llama-cpp', 'models');
  const props = loadFixture('llama-cpp', 'props');
  const chatStream = loadFixture('llama-cpp', 'chat-stream');
  // A host that can be made to die mid-stream and come back.
  flaky = await startStubEngine({
    '/health': (req, res, body) =>
      flakyHealthy
        ? replay(health)(req, res, body)
        : respond(500, 'application/json', '{"error":{"message":"down"}}')(req, res, body),
    '/v1/models': replay(models),
    '/props': replay(props),
    'POST /v1/chat/completions': (req, res, body) => {
      res.on('close', () => {
        if (!res.writableFinished) upstreamAborted++;
      });
      return flakyDies
        ? partialStream(chatStream, 3, 'destroy')(req, res, body)
        : replay(chatStream, { eventDelayMs: 40 })(req, res, body);
    },
  });
  toolHost = await startStubEngine({
    '/health': replay(health),
    '/v1/models': respond(
      200,
      'application/json',
      models.response.body.replaceAll('SmolLM2-135M-Instruct', 'tool-model'),
    ),
    '/props': replay(props),
    'POST /v1/chat/completions': replay(loadFixture('llama-cpp', 'chat-tools-stream')),
  });
  const home = tempHome(`
[server]
port = 0
health_interval_ms = 400
max_body_bytes = 65536
log_level = "debug"
[llama_cpp]
hosts = ["${engine.url}", "${flaky.url}", "${toolHost.url}"]
[lmstudio]
hosts = ""
[ollama]
hosts = ""
`);
  server = await startServerProcess(home);
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'not-needed-on-loopback', maxRetries: 0 });
  realId = `SmolLM2-135M-Instruct:llama_cpp@127.0.0.1:${engine.port}`;
});

afterAll(async () => {
  await server?.stop();
  await Promise.all([engine?.stop(), flaky?.close(), toolHost?.close()]);
});

const ask = [{ role: 'user' as const, content: `Say hello. ${MARKER}` }];

describe('admin API', () => {
  it('/api/health shows every host with status, latency and model count', async () => {
    const body = await (await fetch(`${server.url}/api/health`)).json();
    expect(body.status).toBe('ok');
    const real = body.hosts.find((h: { hostUrl: string }) => h.hostUrl === engine.url);
    expect(real).toMatchObject({ runtime: 'llama_cpp', status: 'up', modelCount: 1 });
    expect(typeof real.latencyMs).toBe('number');
    expect(Date.parse(real.lastChecked)).not.toBeNaN();
  });

  it('/api/models, /api/engines and the OpenAPI document', async () => {
    const models = (await (await fetch(`${server.url}/api/models`)).json()).models;
    expect(models.map((m: { identifier: string }) => m.identifier)).toContain(realId);
    const real = models.find((m: { identifier: string }) => m.identifier === realId);
    expect(real).toMatchObject({
      runtime: 'llama_cpp',
      availability: 'served',
      stale: false,
      config: { quantization: 'Q4_1' },
    });
    const engines = (await (await fetch(`${server.url}/api/engines`)).json()).engines;
    const llama = engines.find((e: { runtime: string }) => e.runtime === 'llama_cpp');
    expect(llama).toMatchObject({ enabled: true, managed: false, process: null });
    expect(llama.hosts.find((h: { url: string }) => h.url === engine.url).version).toMatch(/^b\d+-/);
    const doc = await (await fetch(`${server.url}/api/openapi.json`)).json();
    expect(doc.openapi).toBe('3.1.0');
    for (const path of [
      '/api/health',
      '/api/models',
      '/api/engines',
      '/api/models/reload',
      '/v1/models',
      '/v1/chat/completions',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
  });

  it('reload answers with added, removed and kept; an unknown runtime is a 400', async () => {
    const result = await (await fetch(`${server.url}/api/models/reload?runtime=llama_cpp`, { method: 'POST' })).json();
    expect(result.kept).toContain(realId);
    expect(result.added).toEqual([]);
    const bad = await fetch(`${server.url}/api/models/reload?runtime=tpu`, { method: 'POST' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe('unknown_runtime');
  });
});

describe('OpenAI-compatible gateway with the official openai client', () => {
  it('lists models by identifier', async () => {
    const list = await client.models.list();
    expect(list.data.map((m) => m.id)).toContain(realId);
  });

  it('plain chat against the real llama-server, with the overhead header', async () => {
    const { data, response } = await client.chat.completions
      .create({ model: realId, messages: ask, max_tokens: 8, temperature: 0 })
      .withResponse();
    expect(data.choices[0]?.message.content?.length).toBeGreaterThan(0);
    expect(data.usage?.completion_tokens).toBeGreaterThan(0);
    expect(Number(response.headers.get('x-autobyteus-overhead-ms'))).toBeGreaterThanOrEqual(0);
  });

  it('streaming with usage against the real llama-server', async () => {
    const stream = await client.chat.completions.create({
      model: realId,
      messages: ask,
      max_tokens: 12,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish ??= chunk.choices[0]?.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBeTruthy();
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('tool calls stream as OpenAI deltas the SDK can assemble', async () => {
    const tools = [
      {
        type: 'function' as const,
        function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
      },
    ];
    const runner = client.chat.completions.stream({ model: 'tool-model', messages: ask, tools });
    const final = await runner.finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0];
    expect(call?.type).toBe('function');
    if (call?.type !== 'function') throw new Error('no function call');
    expect(call.function.name).toBe('get_weather');
    expect(JSON.parse(call.function.arguments)).toHaveProperty('city');
  });

  it('a client disconnect aborts the upstream request', async () => {
    const chats = () => flaky.requests.filter((r) => r.method === 'POST').length;
    const before = chats();
    const controller = new AbortController();
    const flakyId = `SmolLM2-135M-Instruct:llama_cpp@127.0.0.1:${flaky.port}`;
    const stream = await client.chat.completions.create(
      { model: flakyId, messages: ask, stream: true },
      { signal: controller.signal },
    );
    let seen = 0;
    try {
      for await (const _ of stream) {
        if (++seen === 2) controller.abort();
      }
    } catch {
      // the SDK may end or throw on abort; either way the client is gone
    }
    expect(seen).toBe(2);
    expect(chats()).toBe(before + 1);
    // The gateway hung up on the engine: the stub saw its response closed before it finished.
    for (let i = 0; i < 40 && upstreamAborted === 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(upstreamAborted).toBe(1);
  });
});

describe('bad input', () => {
  const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers, body });

  it('malformed JSON, missing fields, unknown model, oversized body: 4xx with OpenAI error objects', async () => {
    const malformed = await post('{"model": ');
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error.type).toBe('invalid_request_error');

    const missing = await post(JSON.stringify({ model: realId }));
    expect(missing.status).toBe(400);
    expect((await missing.json()).error).toMatchObject({ param: 'messages', type: 'invalid_request_error' });

    const unknown = await post(JSON.stringify({ model: 'nope:llama_cpp@x:1', messages: ask }));
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe('model_not_found');

    const huge = await post(
      JSON.stringify({ model: realId, messages: [{ role: 'user', content: 'x'.repeat(100_000) }] }),
    );
    expect(huge.status).toBe(413);
    expect((await huge.json()).error.message).toContain('larger than 65536 bytes');
  });

  it('a context overflow from the real engine is a 400 context_length_exceeded', async () => {
    const response = await post(
      JSON.stringify({
        model: realId,
        messages: [{ role: 'user', content: `${MARKER} ${'lorem ipsum '.repeat(2500)}` }],
      }),
    );
    expect(response.status).toBe(400);
    expect((await response.json()).error.code).toBe('context_length_exceeded');
  });

  it('an engine dying mid-stream: error event for the client, host down at once, up again after the next refresh', async () => {
    const flakyId = `SmolLM2-135M-Instruct:llama_cpp@127.0.0.1:${flaky.port}`;
    flakyDies = true;
    flakyHealthy = false;
    const response = await post(JSON.stringify({ model: flakyId, messages: ask, stream: true }));
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('data: {"error":');
    expect(text).not.toContain('[DONE]');
    const down = (await (await fetch(`${server.url}/api/health`)).json()).hosts.find(
      (h: { hostUrl: string }) => h.hostUrl === flaky.url,
    );
    expect(down.status).toBe('down');
    flakyDies = false;
    flakyHealthy = true;
    let status = 'down';
    for (let i = 0; i < 40 && status !== 'up'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await (await fetch(`${server.url}/api/health`)).json()).hosts.find(
        (h: { hostUrl: string }) => h.hostUrl === flaky.url,
      ).status;
    }
    expect(status).toBe('up');
    expect(server.child.exitCode).toBeNull();
  });
});

describe('privacy', () => {
  it('the prompt marker never appears in the server log', async () => {
    await server.waitForOutput('incoming request'); // the log was captured at debug level
    expect(server.output()).not.toContain(MARKER);
  });
});
