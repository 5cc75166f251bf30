import { afterEach, describe, expect, it } from 'vitest';
import { startDnsServer, type TestDnsServer } from '../../../autobyteus/test/support/dns-server.js';
import { loadFixture } from '../../../autobyteus/test/support/fixtures.js';
import { type RunningEngine, startLlamaServer } from '../../../autobyteus/test/support/real-engines.js';
import {
  hangBeforeHeaders,
  replay,
  respond,
  type StubEngine,
  type StubHandler,
  type StubListen,
  startStubEngine,
} from '../../../autobyteus/test/support/stub-engine.js';
import { parseMetrics, samples, sampleValue } from '../support/prometheus-text.js';
import { type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';

// One model name served by several hosts: a pool. Stub hosts replay answers recorded from the real
// llama-server (paced, with the slot counts their /props report); real llama-servers are killed.
const NAME = 'SmolLM2-135M-Instruct';
const health = loadFixture('llama-cpp', 'health');
const models = loadFixture('llama-cpp', 'models');
const props = loadFixture('llama-cpp', 'props');
const chatStream = loadFixture('llama-cpp', 'chat-stream');

let server: ServerProcess | undefined;
const stubs: StubEngine[] = [];
const engines: RunningEngine[] = [];
let dns: TestDnsServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
  await dns?.close();
  dns = undefined;
  await Promise.all(stubs.splice(0).map((s) => s.close()));
  await Promise.all(engines.splice(0).map((e) => e.stop()));
});

/** A stub llama-server with `slots` slots whose chat is `chat` (default: the recorded stream, paced). */
async function stubHost(
  slots: number,
  chat: () => StubHandler = () => replay(chatStream, { eventDelayMs: 20 }),
  listen: StubListen = {},
) {
  const propsBody = JSON.parse(props.response.body);
  propsBody.total_slots = slots;
  const stub = await startStubEngine(
    {
      '/health': replay(health),
      '/v1/models': replay(models),
      '/props': respond(200, 'application/json', JSON.stringify(propsBody)),
      'POST /v1/chat/completions': (req, res, body) => chat()(req, res, body),
    },
    listen,
  );
  stubs.push(stub);
  return stub;
}

async function serveHosts(hosts: string[], extra = ''): Promise<ServerProcess> {
  const home = tempHome(`
[server]
port = 0
health_interval_ms = 500
${extra}
[llama_cpp]
hosts = [${hosts.map((h) => `"${h}"`).join(', ')}]
[lmstudio]
hosts = ""
[ollama]
hosts = ""
`);
  return startServerProcess(home, [], {}, 'serve', 60_000);
}

const chats = (stub: StubEngine) => stub.requests.filter((r) => r.path === '/v1/chat/completions').length;

function chat(url: string, stream = true, model = NAME): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream, max_tokens: 8, messages: [{ role: 'user', content: 'Say hi.' }] }),
  });
}

/** Reads a whole streamed answer: whether data came before any error, and whether it ended with [DONE]. */
async function readStream(
  response: Response,
): Promise<{ status: number; data: number; error: boolean; done: boolean }> {
  const text = await response.text();
  const events = text.split('\n\n').filter((e) => e.startsWith('data: '));
  const errorAt = events.findIndex((e) => e.includes('"error"'));
  return {
    status: response.status,
    data: (errorAt < 0 ? events : events.slice(0, errorAt)).filter((e) => e.includes('"choices"')).length,
    error: errorAt >= 0,
    done: events.at(-1) === 'data: [DONE]',
  };
}

describe('pools: one model name over many hosts', () => {
  it('spreads requests by name over the hosts in proportion to their slots', async () => {
    const big = await stubHost(3);
    const small = await stubHost(1);
    server = await serveHosts([big.url, small.url]);
    const answers = await Promise.all(Array.from({ length: 40 }, () => chat(server?.url as string).then(readStream)));
    expect(answers.every((a) => a.status === 200 && a.done)).toBe(true);
    expect(chats(big) + chats(small)).toBe(40);
    // 3 slots against 1: the big host takes about three quarters.
    expect(chats(big)).toBeGreaterThanOrEqual(2 * chats(small));
    expect(chats(small)).toBeGreaterThan(0);
    // The identifier still pins one host.
    const before = chats(small);
    for (let i = 0; i < 3; i++) {
      expect((await readStream(await chat(server.url, true, `${NAME}:llama_cpp@127.0.0.1:${small.port}`))).done).toBe(
        true,
      );
    }
    expect(chats(small)).toBe(before + 3);

    // Every one of them is in the metrics, by host and outcome, with its time to first token.
    const metrics = parseMetrics(await (await fetch(`${server.url}/metrics`)).text());
    const ok = (host: string) =>
      sampleValue(metrics, 'autobyteus_requests_total', { model: NAME, host, outcome: 'ok' }) ?? 0;
    expect(ok(big.url) + ok(small.url)).toBe(40);
    const [ttft] = samples(metrics, 'autobyteus_time_to_first_token_seconds', { model: NAME });
    expect(Number(ttft?.count)).toBe(40);
  }, 120_000);

  it('fails over when a host dies under 50 concurrent streams: no request that had not started fails', async () => {
    for (let i = 0; i < 2; i++) engines.push(await startLlamaServer({ extraArgs: ['-t', '1', '-np', '4'] }));
    const [doomed, survivor] = engines as [RunningEngine, RunningEngine];
    server = await serveHosts([doomed.url, survivor.url]);
    const pending = Array.from({ length: 50 }, () => chat(server?.url as string).then(readStream));
    // Kill one host once streams are running on it.
    await new Promise((r) => setTimeout(r, 800));
    process.kill(doomed.process.pid as number, 'SIGKILL');
    const answers = await Promise.all(pending);
    // The statuses themselves, so a failure says which answer came instead (it failed once in CI).
    expect(answers.map((a) => a.status).filter((status) => status !== 200)).toEqual([]);
    const failed = answers.filter((a) => !a.done);
    // Only streams that were already under way on the killed host may fail, and only after their data.
    for (const answer of failed) {
      expect(answer.error).toBe(true);
      expect(answer.data).toBeGreaterThan(0);
    }
    expect(answers.filter((a) => a.done).length).toBeGreaterThan(0);
    // Afterwards every request lands on the survivor.
    for (let i = 0; i < 3; i++) {
      const response = await chat(server.url);
      const text = await response.clone().text();
      // The whole answer in the failure message: a stream that did not end says why.
      expect({
        done: (await readStream(response)).done,
        status: response.status,
        text: text.slice(-600),
      }).toMatchObject({
        done: true,
      });
    }
  }, 180_000);

  it('a hanging host costs one timeout, then its breaker keeps it out; it rejoins once it answers again', async () => {
    let hanging = true;
    const sick = await stubHost(1, () => (hanging ? hangBeforeHeaders : replay(chatStream)));
    const well = await stubHost(1);
    // A queue timeout (time to the answer's headers) short enough for a test.
    server = await startServerProcess(
      tempHome(`
[server]
port = 0
health_interval_ms = 500
[routing]
breaker_failures = 1
breaker_cooldown_ms = 1500
[llama_cpp]
hosts = ["${sick.url}", "${well.url}"]
[lmstudio]
hosts = ""
[ollama]
hosts = ""
`),
      [],
      { AUTOBYTEUS_QUEUE_TIMEOUT_MS: '700' },
    );
    for (let i = 0; i < 6; i++) expect((await readStream(await chat(server.url))).done).toBe(true);
    // One request met the hang, failed over, and opened the breaker: the sick host saw no other.
    expect(chats(sick)).toBe(1);
    const hosts = (await (await fetch(`${server.url}/api/health`)).json()).hosts as Array<{
      hostUrl: string;
      breaker?: { state: string };
    }>;
    expect(hosts.find((h) => h.hostUrl === sick.url)?.breaker?.state).toBe('open');

    hanging = false;
    const deadline = Date.now() + 30_000;
    while (chats(sick) < 3 && Date.now() < deadline) {
      expect((await readStream(await chat(server.url))).done).toBe(true);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(chats(sick)).toBeGreaterThanOrEqual(3);
  }, 120_000);

  it('answers 503 with Retry-After when every slot is busy and the queue is full', async () => {
    const slow = await stubHost(1, () => replay(chatStream, { eventDelayMs: 150 }));
    server = await startServerProcess(
      tempHome(`
[server]
port = 0
[routing]
max_queue = 2
[llama_cpp]
hosts = ["${slow.url}"]
[lmstudio]
hosts = ""
[ollama]
hosts = ""
`),
    );
    const answers = await Promise.all(Array.from({ length: 6 }, () => chat(server?.url as string)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 200, 200, 503, 503, 503]);
    const refused = answers.find((a) => a.status === 503) as Response;
    expect(refused.headers.get('retry-after')).toBe('1');
    expect((await refused.json()).error.code).toBe('queue_full');
    for (const answer of answers.filter((a) => a.status === 200)) expect((await readStream(answer)).done).toBe(true);
    const metrics = parseMetrics(await (await fetch(`${server.url}/metrics`)).text());
    expect(sampleValue(metrics, 'autobyteus_requests_total', { model: NAME, outcome: 'rejected' })).toBe(3);
  }, 120_000);

  it('follows a DNS name (a headless Service): pods it answers join the pool, pods it drops leave', async () => {
    const first = await stubHost(1, undefined, { host: '127.0.0.2' });
    const second = await stubHost(1, undefined, { host: '127.0.0.3', port: first.port });
    dns = await startDnsServer({ 'llama.test.svc': { a: ['127.0.0.2', '127.0.0.3'] } });
    server = await startServerProcess(
      tempHome(`
[server]
port = 0
health_interval_ms = 300
[llama_cpp]
hosts = ["dns+http://llama.test.svc:${first.port}"]
[lmstudio]
hosts = ""
[ollama]
hosts = ""
`),
      [],
      { AUTOBYTEUS_DNS_SERVERS: dns.address },
    );
    await Promise.all(Array.from({ length: 8 }, () => chat(server?.url as string).then(readStream)));
    expect(chats(first)).toBeGreaterThan(0);
    expect(chats(second)).toBeGreaterThan(0);

    dns.setRecords('llama.test.svc', { a: ['127.0.0.3'] });
    const deadline = Date.now() + 20_000;
    const hostsNow = async () =>
      ((await (await fetch(`${server?.url}/api/health`)).json()).hosts as Array<{ hostUrl: string }>).map(
        (h) => h.hostUrl,
      );
    while ((await hostsNow()).includes(first.url) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect(await hostsNow()).not.toContain(first.url);
    const before = chats(first);
    for (let i = 0; i < 6; i++) expect((await readStream(await chat(server.url))).done).toBe(true);
    expect(chats(first)).toBe(before);
  }, 120_000);
});
