import { afterEach, describe, expect, it } from 'vitest';
import { LLMProvider } from '../../src/llm/llm-provider.js';
import { OpenAICompatibleLLM } from '../../src/llm/openai-compatible-llm.js';
import { LLMFactory } from '../../src/registry/llm-factory.js';
import { settingsFromEnv } from '../../src/settings/settings.js';
import { MemoryLogger } from '../support/factory.js';
import { loadFixture } from '../support/fixtures.js';
import { replay, type StubEngine, type StubHandler, startStubEngine } from '../support/stub-engine.js';

// Stand-ins for vLLM, llama-swap or LiteLLM: all that the openai_compatible runtime may assume is the
// OpenAI API, so each stub is just /v1/models and /v1/chat/completions behind a bearer key of its own.
const stubs: StubEngine[] = [];
afterEach(async () => {
  await Promise.all(stubs.splice(0).map((s) => s.close()));
});

/** Answers only requests carrying `Bearer <key>`; others get the OpenAI-style 401. */
function requireKey(key: string, handler: StubHandler): StubHandler {
  return (req, res, body) => {
    if (req.headers.authorization !== `Bearer ${key}`) {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(
          '{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}',
        );
      return;
    }
    return handler(req, res, body);
  };
}

async function upstream(key: string, models: object[]): Promise<StubEngine> {
  const list: StubHandler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data: models }));
  };
  const stub = await startStubEngine({
    '/v1/models': requireKey(key, list),
    'POST /v1/chat/completions': requireKey(key, (req, res, body) => {
      const stream = (JSON.parse(body) as { stream?: boolean }).stream;
      return replay(loadFixture('llama-cpp', stream ? 'chat-stream' : 'chat'))(req, res, body);
    }),
  });
  stubs.push(stub);
  return stub;
}

describe('openai_compatible runtime: any OpenAI-compatible upstream, a key per host', () => {
  it('discovers by /v1/models, chats through OpenAICompatibleLLM, sends each host its key, reports 401 as unauthorized', async () => {
    const vllm = await upstream('key-for-vllm', [
      { id: 'Qwen/Qwen2.5-0.5B-Instruct', object: 'model', owned_by: 'vllm', max_model_len: 32768 },
    ]);
    const litellm = await upstream('shared-key', [{ id: 'gpt-local', object: 'model', owned_by: 'openai' }]);
    const locked = await upstream('key-we-do-not-have', [{ id: 'hidden', object: 'model' }]);
    const logger = new MemoryLogger();
    // Through the environment, as a deployment sets it: the key's host is written in another form (/v1/).
    const settings = settingsFromEnv({
      OPENAI_COMPATIBLE_HOSTS: `${vllm.url},${litellm.url}/v1,${locked.url}`,
      OPENAI_COMPATIBLE_API_KEY: 'shared-key',
      OPENAI_COMPATIBLE_API_KEYS: `${vllm.url}/v1/=key-for-vllm,${locked.url}=wrong-key`,
      LMSTUDIO_HOSTS: '',
      OLLAMA_HOSTS: '',
    });
    const factory = new LLMFactory({ settings: { ...settings, huggingFaceCacheDir: '/nonexistent' }, logger });
    await factory.ensureInitialized();

    expect(factory.getHostHealth().map((h) => [h.hostUrl, h.status])).toEqual([
      [vllm.url, 'up'],
      [litellm.url, 'up'],
      [locked.url, 'unauthorized'],
    ]);
    expect(factory.getHostHealth()[2]?.error).toContain('Incorrect API key provided');
    const models = factory.listAvailableModels();
    expect(models.map((m) => m.modelIdentifier)).toEqual([
      `Qwen/Qwen2.5-0.5B-Instruct:openai_compatible@127.0.0.1:${vllm.port}`,
      `gpt-local:openai_compatible@127.0.0.1:${litellm.port}`,
    ]);
    expect(models.map((m) => m.provider)).toEqual([LLMProvider.OPENAI_COMPATIBLE, LLMProvider.OPENAI_COMPATIBLE]);
    expect(models[0]?.defaultConfig.contextWindow).toBe(32768);
    expect(models[0]?.metadata.ownedBy).toBe('vllm');

    const onVllm = factory.createLLM(models[0]!.modelIdentifier);
    expect(onVllm.constructor).toBe(OpenAICompatibleLLM);
    const chunks = [];
    for await (const chunk of onVllm.streamMessages([{ role: 'user', content: 'hi' }])) chunks.push(chunk);
    expect(chunks.at(-1)?.isComplete).toBe(true);
    expect(await factory.createLLM(models[1]!.modelIdentifier).complete('hi')).not.toBe('');

    const auth = (stub: StubEngine) => stub.requests.map((r) => `${r.path} ${r.headers.authorization}`);
    expect(auth(vllm)).toEqual(['/v1/models Bearer key-for-vllm', '/v1/chat/completions Bearer key-for-vllm']);
    expect(auth(litellm)).toEqual(['/v1/models Bearer shared-key', '/v1/chat/completions Bearer shared-key']);
    expect(auth(locked)).toEqual(['/v1/models Bearer wrong-key']);
    // Keys never reach the log.
    const logged = JSON.stringify(logger.lines);
    for (const key of ['key-for-vllm', 'shared-key', 'wrong-key']) expect(logged).not.toContain(key);
    await factory.close();
  });

  it('is off unless hosts are set: no default host is probed', async () => {
    const factory = new LLMFactory({
      settings: { ollamaHosts: [], lmStudioHosts: [], huggingFaceCacheDir: '/nonexistent' },
      logger: new MemoryLogger(),
    });
    expect(factory.settings.runtimes.openai_compatible).toMatchObject({ enabled: false, hosts: [] });
    await factory.ensureInitialized();
    expect(factory.getHostHealth()).toEqual([]);
    await factory.close();
  });
});
