import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFixture } from '../../../autobyteus/test/support/fixtures.js';
import { replay, respond, type StubEngine, startStubEngine } from '../../../autobyteus/test/support/stub-engine.js';
import { type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';

// Bad input at the gateway, provoked over real sockets against the server process in front of a
// stub llama-server: over-deep JSON, sampling parameters out of range, engine errors that carry
// local paths and URLs, 5xx answers that must be traceable by request id, secrets in query strings.
const LEAKY_PATH = '/home/x/models/a.gguf';
let engine: StubEngine;
let server: ServerProcess;
let modelId: string;

/** Log lines the server wrote (pino JSON), parsed. */
const logLines = (): Array<Record<string, unknown>> =>
  server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);

/**
 * The log arrives on the child's stdout, a different channel from the HTTP answer: wait for the
 * matching lines (the test's own timeout bounds the wait).
 */
async function waitForLog(match: (line: Record<string, unknown>) => boolean): Promise<Array<Record<string, unknown>>> {
  for (;;) {
    const found = logLines().filter(match);
    if (found.length > 0) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  const chat = replay(loadFixture('llama-cpp', 'chat'));
  engine = await startStubEngine({
    '/health': replay(loadFixture('llama-cpp', 'health')),
    '/v1/models': replay(loadFixture('llama-cpp', 'models')),
    '/props': replay(loadFixture('llama-cpp', 'props')),
    'POST /v1/chat/completions': (req, res, body) => {
      if (body.includes('LEAK-PATH')) {
        const message = `failed to load model '${LEAKY_PATH}' (engine at ${engine.url}/v1, peer 127.0.0.1:${engine.port})`;
        return respond(400, 'application/json', JSON.stringify({ error: { code: 400, message } }))(req, res, body);
      }
      if (body.includes('ENGINE-500')) {
        return respond(500, 'application/json', '{"error":{"code":500,"message":"slot crashed"}}')(req, res, body);
      }
      return chat(req, res, body);
    },
  });
  const home = tempHome(
    `[server]\nport = 0\n[llama_cpp]\nhosts = ["${engine.url}"]\n[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n`,
  );
  server = await startServerProcess(home);
  modelId = `SmolLM2-135M-Instruct:llama_cpp@127.0.0.1:${engine.port}`;
});

afterAll(async () => {
  await server?.stop();
  await engine?.close();
});

const chat = (extra: Record<string, unknown> | string, content = 'hi') =>
  fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body:
      typeof extra === 'string'
        ? extra
        : JSON.stringify({ model: modelId, messages: [{ role: 'user', content }], ...extra }),
  });

const chatRequests = () => engine.requests.filter((r) => r.path === '/v1/chat/completions').length;

describe('JSON nesting depth', () => {
  it('an extra field nested 10,000 levels deep is a 400 naming the problem, and reaches no engine', async () => {
    const before = chatRequests();
    const deep = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    const body = `{"model":${JSON.stringify(modelId)},"messages":[{"role":"user","content":"hi"}],"extra":${deep}}`;
    const response = await chat(body);
    expect(response.status).toBe(400);
    const error = (await response.json()).error;
    expect(error.code).toBe('json_too_deep');
    expect(error.message).toContain('deeper than');
    // Arrays count too, and brackets inside strings do not.
    expect((await chat(`{"x":${'['.repeat(5000)}${']'.repeat(5000)}}`)).status).toBe(400);
    const inString = await chat({ note: '['.repeat(10_000) });
    expect(inString.status).toBe(200);
    // Moderate nesting (tool schemas) is served.
    const nested = JSON.parse(`${'{"a":'.repeat(50)}1${'}'.repeat(50)}`);
    expect((await chat({ extra: nested })).status).toBe(200);
    expect(chatRequests()).toBe(before + 2);
  });
});

describe('sampling parameters', () => {
  const bad: Array<[string, unknown]> = [
    ['temperature', -1],
    ['temperature', 2.5],
    ['temperature', 'hot'],
    ['top_p', 1.5],
    ['top_p', -0.1],
    ['presence_penalty', 2.1],
    ['presence_penalty', -3],
    ['frequency_penalty', 2.1],
    ['frequency_penalty', -3],
    ['n', 0],
    ['n', 1.5],
    ['max_tokens', -5],
    ['max_tokens', 0],
    ['max_tokens', 2.5],
    ['max_tokens', '10'],
    ['max_completion_tokens', 0],
    ['logprobs', 'yes'],
    ['top_logprobs', 21],
    ['top_logprobs', -1],
    ['seed', 1.5],
    ['stop', ['a', 'b', 'c', 'd', 'e']],
    ['stop', 5],
  ];
  it.each(bad)('%s = %j is a 400 naming the field and never reaches the engine', async (field, value) => {
    const before = chatRequests();
    const response = await chat({ [field]: value });
    expect(response.status).toBe(400);
    const error = (await response.json()).error;
    expect(error).toMatchObject({ type: 'invalid_request_error', param: field });
    expect(error.message).toContain(field);
    expect(chatRequests()).toBe(before);
  });

  it('the documented edge values and null are accepted', async () => {
    const good: Record<string, unknown> = {
      temperature: 2,
      top_p: 0,
      presence_penalty: -2,
      frequency_penalty: 2,
      n: 1,
      max_tokens: 1,
      max_completion_tokens: 1,
      logprobs: false,
      top_logprobs: 20,
      seed: -7,
      stop: ['a', 'b', 'c', 'd'],
    };
    expect((await chat(good)).status).toBe(200);
    expect((await chat({ temperature: 0, top_logprobs: 0, stop: 'x' })).status).toBe(200);
    expect((await chat(Object.fromEntries(Object.keys(good).map((k) => [k, null])))).status).toBe(200);
  });
});

describe('relayed engine errors', () => {
  it('the client gets the engine message without local paths or URLs; the log keeps them', async () => {
    const response = await chat({}, 'LEAK-PATH');
    expect(response.status).toBe(400);
    const message: string = (await response.json()).error.message;
    expect(message).toContain('failed to load model');
    for (const secret of [LEAKY_PATH, '/home/x', 'a.gguf', engine.url, `127.0.0.1:${engine.port}`, '127.0.0.1']) {
      expect(message).not.toContain(secret);
    }
    const [logged] = await waitForLog((l) => String(l.msg).includes('failed to load model'));
    expect(String(logged?.msg)).toContain(LEAKY_PATH);
    expect(String(logged?.msg)).toContain(engine.url);
  });

  it('a 5xx carries a request id in header and body, and is logged at error level under that id', async () => {
    const response = await chat({}, 'ENGINE-500');
    expect(response.status).toBe(502);
    const id = response.headers.get('x-request-id');
    expect(id).toBeTruthy();
    const error = (await response.json()).error;
    expect(error.request_id).toBe(id);
    expect(error.message).toContain('slot crashed');
    const logged = await waitForLog((l) => l.reqId === id && l.level === 50);
    expect(logged.length).toBe(1);
    expect(String(logged[0]?.msg)).toContain(engine.url);
  });
});

describe('request logs', () => {
  it('query values are redacted: a token in ?api_key= never reaches the log', async () => {
    const secret = `query-secret-${Date.now()}`;
    expect((await fetch(`${server.url}/v1/models?api_key=${secret}&x=1`)).status).toBe(200);
    expect((await fetch(`${server.url}/nowhere?${secret}`)).status).toBe(404);
    expect(
      (await fetch(`${server.url}/v1/chat/completions?token=${secret}`, { method: 'POST', body: '{' })).status,
    ).toBe(400);
    const url = (l: Record<string, unknown>) => (l.req as { url?: string } | undefined)?.url;
    await waitForLog((l) => url(l) === '/v1/models?api_key=[redacted]&x=[redacted]');
    await waitForLog((l) => url(l) === '/nowhere?[redacted]');
    await waitForLog((l) => url(l) === '/v1/chat/completions?token=[redacted]');
    expect(server.output()).not.toContain(secret);
  });
});
