import { afterEach, describe, expect, it } from 'vitest';
import { LLMRuntime } from '../../src/llm/llm-runtime.js';
import { LLMFactory } from '../../src/registry/llm-factory.js';
import { MemoryLogger } from '../support/factory.js';
import { loadFixture } from '../support/fixtures.js';
import { replay, type StubEngine, startStubEngine } from '../support/stub-engine.js';

const stubs: StubEngine[] = [];
afterEach(async () => {
  await Promise.all(stubs.splice(0).map((s) => s.close()));
});

type Route = Parameters<typeof startStubEngine>[0][string];

/** A llama-server that answers only with `Bearer <key>` (recorded answers, the 401s included). */
async function keyedLlama(key: () => string): Promise<StubEngine> {
  const keyed =
    (ok: string, refused: string): Route =>
    (req, res, body) =>
      replay(loadFixture('llama-cpp', req.headers.authorization === `Bearer ${key()}` ? ok : refused))(req, res, body);
  const stub = await startStubEngine({
    '/health': replay(loadFixture('llama-cpp', 'health')),
    '/v1/models': keyed('models', 'unauthorized-models-wrong-key'),
    '/props': keyed('props', 'unauthorized-models-wrong-key'),
    '/v1/chat/completions': keyed('chat', 'unauthorized-chat-wrong-key'),
  });
  stubs.push(stub);
  return stub;
}

describe('hostKeys: keys of hosts the application runs itself', () => {
  it('win over the settings key, for discovery and every client, and are read when each is built', async () => {
    let engineKey = 'launch-1';
    const host = await keyedLlama(() => engineKey);
    let known = 'stale';
    const factory = new LLMFactory({
      settings: {
        llamaCppHosts: host.url,
        llamaCppApiKey: 'launch-1',
        ollamaHosts: [],
        lmStudioHosts: [],
        huggingFaceCacheDir: '/nonexistent-hf-cache',
      },
      logger: new MemoryLogger(),
      hostKeys: (runtime, hostUrl) => (runtime === LLMRuntime.LLAMA_CPP && hostUrl === host.url ? known : undefined),
    });
    // The lookup wins over the settings key (which would have been accepted).
    await factory.ensureInitialized();
    expect(factory.getHostHealth()[0]?.status).toBe('unauthorized');
    known = 'launch-1';
    await factory.reinitialize();
    const model = factory.listAvailableModels()[0];
    if (!model) throw new Error('no model discovered with the looked-up key');
    expect((await factory.createLLMFor(model).sendMessages([{ role: 'user', content: 'hi' }])).content).not.toBe('');
    // The engine was relaunched with a new key: a client built while the lookup has the old one is refused,
    // the next one built gets through.
    engineKey = 'launch-2';
    await expect(factory.createLLMFor(model).sendMessages([{ role: 'user', content: 'hi' }])).rejects.toMatchObject({
      kind: 'unauthorized',
    });
    known = 'launch-2';
    expect((await factory.createLLMFor(model).sendMessages([{ role: 'user', content: 'hi' }])).content).not.toBe('');
  });
});
