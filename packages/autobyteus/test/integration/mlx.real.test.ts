import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LLMFactory } from '../../src/registry/llm-factory.js';
import { MLXLLM } from '../../src/runtimes/mlx-llm.js';
import { factoryWith } from '../support/factory.js';
import { freePort, MLX_REPO_ID, mlxHubCache, type RunningEngine, startMlxServer } from '../support/real-engines.js';

// A real mlx_lm.server (mlx-lm[cpu] in a project-local venv) serving SmolLM2-135M-Instruct converted
// to MLX format from the GGUF. MLX on this CPU does about 7 tokens/s: keep answers short.
let engine: RunningEngine;
let factory: LLMFactory;

beforeAll(async () => {
  engine = await startMlxServer();
  factory = factoryWith({ mlxHosts: engine.url, huggingFaceCacheDir: mlxHubCache(), discoveryTimeoutMs: 5000 });
  await factory.ensureInitialized();
});
afterAll(async () => {
  await factory?.close();
  await engine?.stop();
});

const question = [
  { role: 'system' as const, content: 'Answer briefly.' },
  { role: 'user' as const, content: 'What is the capital of France?' },
];

function cachedModelId(): string {
  return `${MLX_REPO_ID}:mlx@127.0.0.1:${engine.port}`;
}

describe('real mlx_lm.server', () => {
  it('discovery registers the cached model with context length and quantization from config.json', () => {
    const model = factory.getModel(cachedModelId());
    expect(model).toBeDefined();
    expect(model?.availability).toBe('served');
    expect(model?.defaultConfig.contextWindow).toBe(8192);
    expect(model?.defaultConfig.quantization).toBe('4bit-g32');
    expect(factory.getHostHealth()[0]).toMatchObject({ runtime: 'mlx', status: 'up' });
  });

  it('answers a chat completion', async () => {
    const llm = factory.createLLM(cachedModelId(), { temperature: 0, maxTokens: 8 });
    expect(llm).toBeInstanceOf(MLXLLM);
    const answer = await llm.sendMessages(question);
    expect(answer.content).toMatch(/\w{2,}/);
    expect(answer.usage?.completionTokens).toBeGreaterThan(0);
  });

  it('streams content chunks and a final chunk with usage', async () => {
    const llm = factory.createLLM(cachedModelId(), { temperature: 0, maxTokens: 8 });
    const chunks = [];
    for await (const chunk of llm.streamMessages(question)) chunks.push(chunk);
    expect(chunks.filter((c) => c.content).length).toBeGreaterThan(2);
    const final = chunks.at(-1);
    expect(final?.isComplete).toBe(true);
    expect(final?.usage?.completionTokens).toBeGreaterThan(0);
    expect(final?.finishReason).toBeDefined();
  });

  it('while the host is down, the cached MLX model is registered as available, not served', async () => {
    const downUrl = `http://127.0.0.1:${await freePort()}`;
    const offline = factoryWith({ mlxHosts: downUrl, huggingFaceCacheDir: mlxHubCache() });
    await offline.ensureInitialized();
    const [model] = offline.listAvailableModels();
    expect(model?.modelIdentifier).toBe(`${MLX_REPO_ID}:mlx@127.0.0.1:${new URL(downUrl).port}`);
    expect(model?.availability).toBe('available');
    expect(model?.defaultConfig.quantization).toBe('4bit-g32');
    expect(offline.getHostHealth()[0]).toMatchObject({ status: 'down', error: expect.stringMatching(/refused/) });
    await offline.close();
  });
});
