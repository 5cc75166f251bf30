import { afterEach, describe, expect, it } from 'vitest';
import { LLMProvider } from '../../src/llm/llm-provider.js';
import { LLMRuntime } from '../../src/llm/llm-runtime.js';
import { factoryWith, MemoryLogger } from '../support/factory.js';
import { loadFixture } from '../support/fixtures.js';
import { replay, respond, type StubEngine, startStubEngine } from '../support/stub-engine.js';

const stubs: StubEngine[] = [];
afterEach(async () => {
  await Promise.all(stubs.splice(0).map((s) => s.close()));
});
async function stub(routes: Parameters<typeof startStubEngine>[0]) {
  const s = await startStubEngine(routes);
  stubs.push(s);
  return s;
}
const llamaHost = () =>
  stub({
    '/health': replay(loadFixture('llama-cpp', 'health')),
    '/v1/models': replay(loadFixture('llama-cpp', 'models')),
    '/props': replay(loadFixture('llama-cpp', 'props')),
  });

describe('llama.cpp discovery (recorded llama-server answers)', () => {
  it('registers the model with its metadata and identifier', async () => {
    const host = await llamaHost();
    const factory = factoryWith({ llamaCppHosts: `${host.url}/v1/` });
    await factory.ensureInitialized();
    const [model] = factory.listAvailableModels();
    expect(model?.modelIdentifier).toBe(`SmolLM2-135M-Instruct:llama_cpp@127.0.0.1:${host.port}`);
    expect(model?.runtime).toBe(LLMRuntime.LLAMA_CPP);
    expect(model?.provider).toBe(LLMProvider.LLAMA_CPP);
    expect(model?.hostUrl).toBe(host.url);
    expect(model?.defaultConfig).toMatchObject({
      contextWindow: 2048,
      trainedContextWindow: 8192,
      parameterCount: 134515008,
      sizeBytes: 96576768,
      quantization: 'Q4_1',
    });
    expect(model?.metadata.buildInfo).toMatch(/^b\d+-[0-9a-f]+$/);
    expect(model?.metadata.totalSlots).toBeGreaterThan(0);
    expect(model?.metadata.chatTemplate).toContain('im_start');
    const [health] = factory.getHostHealth();
    expect(health).toMatchObject({
      runtime: 'llama_cpp',
      hostUrl: host.url,
      status: 'up',
      modelCount: 1,
      warnings: [],
    });
  });

  it('waits out 503 "loading" within the timeout, then reports loading', async () => {
    const host = await stub({ '/health': replay(loadFixture('llama-cpp', 'loading-health')) });
    const factory = factoryWith({ llamaCppHosts: host.url, discoveryTimeoutMs: 600 });
    await factory.ensureInitialized();
    const [health] = factory.getHostHealth();
    expect(health?.status).toBe('loading');
    expect(host.requests.filter((r) => r.path === '/health').length).toBeGreaterThan(1);
    expect(factory.listAvailableModels()).toHaveLength(0);
  });

  it('a host that finishes loading during discovery is registered', async () => {
    let ready = false;
    setTimeout(() => {
      ready = true;
    }, 300);
    const loading = loadFixture('llama-cpp', 'loading-health');
    const ok = loadFixture('llama-cpp', 'health');
    const host = await stub({
      '/health': (req, res, body) => replay(ready ? ok : loading)(req, res, body),
      '/v1/models': replay(loadFixture('llama-cpp', 'models')),
      '/props': replay(loadFixture('llama-cpp', 'props')),
    });
    const factory = factoryWith({ llamaCppHosts: host.url, discoveryTimeoutMs: 2000 });
    await factory.ensureInitialized();
    expect(factory.getHostHealth()[0]?.status).toBe('up');
    expect(factory.listAvailableModels()).toHaveLength(1);
  });

  it('LLAMACPP_HEALTHCHECK=false skips /health', async () => {
    const host = await llamaHost();
    const factory = factoryWith({ llamaCppHosts: host.url, llamaCppHealthcheck: false });
    await factory.ensureInitialized();
    expect(host.requests.map((r) => r.path)).not.toContain('/health');
    expect(factory.listAvailableModels()).toHaveLength(1);
  });

  it('recognises router mode and registers each model with its load state', async () => {
    const host = await stub({
      '/health': replay(loadFixture('llama-cpp', 'health')),
      '/v1/models': replay(loadFixture('llama-cpp', 'router-models')),
      '/props': replay(loadFixture('llama-cpp', 'router-props')),
    });
    const factory = factoryWith({ llamaCppHosts: host.url });
    await factory.ensureInitialized();
    const models = factory.listAvailableModels();
    expect(models).toHaveLength(1);
    expect(models[0]?.name).toBe('SmolLM2-135M-Instruct.Q4_1');
    expect(models[0]?.availability).toBe('unloaded');
  });

  it('sends the API key as a bearer token, and reports a wrong one as unauthorized', async () => {
    const host = await stub({
      '/health': replay(loadFixture('llama-cpp', 'health')),
      '/v1/models': (req, res, body) =>
        replay(
          req.headers.authorization === 'Bearer right'
            ? loadFixture('llama-cpp', 'models')
            : loadFixture('llama-cpp', 'unauthorized-models-wrong-key'),
        )(req, res, body),
      '/props': replay(loadFixture('llama-cpp', 'props')),
    });
    const good = factoryWith({ llamaCppHosts: host.url, llamaCppApiKey: 'right' });
    await good.ensureInitialized();
    expect(good.listAvailableModels()).toHaveLength(1);
    const bad = factoryWith({ llamaCppHosts: host.url, llamaCppApiKey: 'wrong' });
    await bad.ensureInitialized();
    const [health] = bad.getHostHealth();
    expect(health?.status).toBe('unauthorized');
    expect(health?.error).toContain('Invalid API Key');
    expect(health?.error).not.toContain('wrong');
  });

  it('warns when a host does not look like llama-server', async () => {
    const host = await stub({
      '/health': respond(200, 'application/json', '{"status":"ok"}'),
      '/v1/models': respond(
        200,
        'application/json',
        '{"object":"list","data":[{"id":"qwen","owned_by":"organization_owner"}]}',
      ),
      '/props': respond(404, 'application/json', '{"error":"not found"}'),
    });
    const logger = new MemoryLogger();
    const factory = factoryWith({ llamaCppHosts: host.url }, logger);
    await factory.ensureInitialized();
    const [health] = factory.getHostHealth();
    expect(health?.warnings.join(' ')).toMatch(/may not be llama-server/);
    expect(logger.warnings().join(' ')).toMatch(/may not be llama-server/);
  });

  it('an HTML page on /v1/models marks the host down with a clear reason', async () => {
    const host = await stub({
      '/health': respond(200, 'text/html', '<html>ok</html>'),
      '/v1/models': respond(200, 'text/html', '<html><h1>Router login</h1></html>'),
    });
    const factory = factoryWith({ llamaCppHosts: host.url });
    await factory.ensureInitialized();
    const [health] = factory.getHostHealth();
    expect(health?.status).toBe('down');
    expect(health?.error).toMatch(/expected JSON, got text\/html/);
  });
});
