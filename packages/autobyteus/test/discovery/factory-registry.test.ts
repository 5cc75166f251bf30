import { afterEach, describe, expect, it } from 'vitest';
import { UnknownModelError } from '../../src/registry/llm-factory.js';
import { LlamaCppLLM } from '../../src/runtimes/llama-cpp-llm.js';
import { factoryWith } from '../support/factory.js';
import { loadFixture } from '../support/fixtures.js';
import { hangBeforeHeaders, replay, respond, type StubEngine, startStubEngine } from '../support/stub-engine.js';

const stubs: StubEngine[] = [];
afterEach(async () => {
  await Promise.all(stubs.splice(0).map((s) => s.close()));
});
async function llamaHost(extra: Parameters<typeof startStubEngine>[0] = {}) {
  const s = await startStubEngine({
    '/health': replay(loadFixture('llama-cpp', 'health')),
    '/v1/models': replay(loadFixture('llama-cpp', 'models')),
    '/props': replay(loadFixture('llama-cpp', 'props')),
    ...extra,
  });
  stubs.push(s);
  return s;
}
async function refusedUrl(): Promise<string> {
  const s = await startStubEngine({});
  await s.close();
  return s.url;
}

describe('parallel discovery', () => {
  it('hanging and refusing hosts cost one timeout, not one each, and do not hide the good host', async () => {
    const good = await llamaHost();
    const hanging = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const s = await startStubEngine({ '/health': hangBeforeHeaders });
        stubs.push(s);
        return s.url;
      }),
    );
    const refused = await Promise.all(Array.from({ length: 8 }, refusedUrl));
    const timeout = 400;
    const factory = factoryWith({ llamaCppHosts: [...hanging, good.url, ...refused], discoveryTimeoutMs: timeout });
    const started = performance.now();
    await factory.ensureInitialized();
    const elapsed = performance.now() - started;
    // Sequential probing would take 8 × timeout; parallel takes about one.
    expect(elapsed).toBeLessThan(timeout * 4);
    expect(factory.listAvailableModels().map((m) => m.hostUrl)).toEqual([good.url]);
    const health = factory.getHostHealth();
    expect(health).toHaveLength(17);
    for (const url of hanging) {
      expect(health.find((h) => h.hostUrl === url)).toMatchObject({
        status: 'down',
        error: expect.stringMatching(/timeout/),
      });
    }
    for (const url of refused) {
      expect(health.find((h) => h.hostUrl === url)).toMatchObject({
        status: 'down',
        error: expect.stringMatching(/refused/),
      });
    }
  });

  it('concurrent ensureInitialized calls share one discovery run', async () => {
    const host = await llamaHost();
    const factory = factoryWith({ llamaCppHosts: host.url });
    await Promise.all([factory.ensureInitialized(), factory.ensureInitialized(), factory.ensureInitialized()]);
    await factory.ensureInitialized();
    expect(host.requests.filter((r) => r.path === '/v1/models')).toHaveLength(1);
  });
});

describe('reinitialize', () => {
  it('keeps the last good models of a failed host, marked stale, and reports the change', async () => {
    let broken = false;
    const models = loadFixture('llama-cpp', 'models');
    const host = await llamaHost({
      '/v1/models': (req, res, body) =>
        broken
          ? respond(500, 'application/json', '{"error":{"message":"boom"}}')(req, res, body)
          : replay(models)(req, res, body),
    });
    const factory = factoryWith({ llamaCppHosts: host.url });
    await factory.ensureInitialized();
    const id = factory.listAvailableModels()[0]!.modelIdentifier;
    broken = true;
    const result = await factory.reinitialize();
    expect(result).toMatchObject({ added: [], removed: [], kept: [id] });
    expect(factory.getModel(id)?.stale).toBe(true);
    expect(factory.getHostHealth()[0]).toMatchObject({ status: 'down', error: expect.stringContaining('boom') });
    broken = false;
    await factory.reinitialize();
    expect(factory.getModel(id)?.stale).toBe(false);
    expect(factory.getHostHealth()[0]?.status).toBe('up');
  });

  it('readers see the old registry while a refresh runs, never an empty one', async () => {
    let slow = false;
    const models = loadFixture('llama-cpp', 'models');
    const host = await llamaHost({
      '/v1/models': async (req, res, body) => {
        if (slow) await new Promise((resolve) => setTimeout(resolve, 300));
        replay(models)(req, res, body);
      },
    });
    const factory = factoryWith({ llamaCppHosts: host.url });
    await factory.ensureInitialized();
    slow = true;
    const refresh = factory.reinitialize();
    const during: number[] = [];
    const sampler = setInterval(() => during.push(factory.listAvailableModels().length), 10);
    await refresh;
    clearInterval(sampler);
    expect(during.length).toBeGreaterThan(5);
    expect(during.every((n) => n === 1)).toBe(true);
  });

  it('a refresh of one runtime leaves the others untouched', async () => {
    const host = await llamaHost();
    const factory = factoryWith({ llamaCppHosts: host.url, mlxHosts: await refusedUrl() });
    await factory.ensureInitialized();
    const before = factory.getHostHealth().find((h) => h.runtime === 'mlx')?.lastChecked;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const result = await factory.reinitialize({ runtime: 'llama_cpp' as never });
    expect(result.kept).toHaveLength(1);
    expect(factory.getHostHealth().find((h) => h.runtime === 'mlx')?.lastChecked).toBe(before);
  });
});

describe('createLLM', () => {
  it('creates the runtime class for a registered identifier', async () => {
    const host = await llamaHost({ 'POST /v1/chat/completions': replay(loadFixture('llama-cpp', 'chat')) });
    const factory = factoryWith({ llamaCppHosts: host.url });
    await factory.ensureInitialized();
    const id = factory.listAvailableModels()[0]!.modelIdentifier;
    const llm = factory.createLLM(id, { temperature: 0 });
    expect(llm).toBeInstanceOf(LlamaCppLLM);
    expect(llm.config.contextWindow).toBe(2048);
    const answer = await llm.sendMessages([{ role: 'user', content: 'What is the capital of France?' }]);
    expect(answer.content).toMatch(/Paris/);
    const sent = JSON.parse(host.requests.at(-1)!.body);
    expect(sent).toMatchObject({ model: 'SmolLM2-135M-Instruct', temperature: 0, cache_prompt: true });
    expect(sent.contextWindow).toBeUndefined();
  });

  it('an unknown identifier names close matches', async () => {
    const host = await llamaHost();
    const factory = factoryWith({ llamaCppHosts: host.url });
    await factory.ensureInitialized();
    expect(() => factory.createLLM('SmolLM2-135M-Instruct:llama_cpp@elsewhere:1')).toThrow(UnknownModelError);
    expect(() => factory.createLLM('SmolLM2-135M-Instruct:llama_cpp@elsewhere:1')).toThrow(/Did you mean: SmolLM2/);
  });
});
