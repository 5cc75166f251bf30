import { afterEach, describe, expect, it } from 'vitest';
import { LMStudioLLM } from '../../src/runtimes/lmstudio-llm.js';
import { OllamaLLM } from '../../src/runtimes/ollama-llm.js';
import { factoryWith } from '../support/factory.js';
import { loadFixture } from '../support/fixtures.js';
import { replay, respond, type StubEngine, startStubEngine } from '../support/stub-engine.js';

// LM Studio and Ollama cannot be installed on these machines, so their listing bodies here are
// written from their documented API shapes (not recorded). Chat goes through the same OpenAI-compatible
// transport as llama.cpp, replayed from the recorded llama-server stream.
const stubs: StubEngine[] = [];
afterEach(async () => {
  await Promise.all(stubs.splice(0).map((s) => s.close()));
});

describe('LM Studio and Ollama through the shared table and transport', () => {
  it('LM Studio: /v1/models ids become models served by LMStudioLLM', async () => {
    const host = await startStubEngine({
      '/v1/models': respond(
        200,
        'application/json',
        '{"object":"list","data":[{"id":"qwen2.5-0.5b-instruct","object":"model","owned_by":"organization_owner"}]}',
      ),
      'POST /v1/chat/completions': replay(loadFixture('llama-cpp', 'chat-stream')),
    });
    stubs.push(host);
    const factory = factoryWith({ lmStudioHosts: host.url });
    await factory.ensureInitialized();
    const [model] = factory.listAvailableModels();
    expect(model?.modelIdentifier).toBe(`qwen2.5-0.5b-instruct:lmstudio@127.0.0.1:${host.port}`);
    const llm = factory.createLLM(model!.modelIdentifier);
    expect(llm).toBeInstanceOf(LMStudioLLM);
    const chunks = [];
    for await (const chunk of llm.streamMessages([{ role: 'user', content: 'hi' }])) chunks.push(chunk);
    expect(chunks.at(-1)?.isComplete).toBe(true);
  });

  it('Ollama: /api/tags with size and quantization; names with a tag keep their colon', async () => {
    const host = await startStubEngine({
      '/api/tags': respond(
        200,
        'application/json',
        '{"models":[{"name":"llama3.2:1b","model":"llama3.2:1b","size":1321098329,"details":{"family":"llama","parameter_size":"1.2B","quantization_level":"Q8_0"}}]}',
      ),
    });
    stubs.push(host);
    const factory = factoryWith({ ollamaHosts: host.url });
    await factory.ensureInitialized();
    const model = factory.getModel(`llama3.2:1b:ollama@127.0.0.1:${host.port}`);
    expect(model?.defaultConfig).toMatchObject({ sizeBytes: 1321098329, quantization: 'Q8_0' });
    expect(factory.createLLM(model!.modelIdentifier)).toBeInstanceOf(OllamaLLM);
  });
});
