import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LLMFactory } from '../../src/registry/llm-factory.js';
import { ContextOverflowError, RequestAbortedError } from '../../src/transport/llm-errors.js';
import { factoryWith } from '../support/factory.js';
import { type RunningEngine, startLlamaServer } from '../support/real-engines.js';

// A real llama-server (built from the llama.cpp source in node-llama-cpp's npm tarball) serving
// SmolLM2-135M-Instruct. Missing engine = failing test, never a skip.
let engine: RunningEngine;
let factory: LLMFactory;
let id: string;

beforeAll(async () => {
  engine = await startLlamaServer();
  factory = factoryWith({ llamaCppHosts: engine.url });
  await factory.ensureInitialized();
  id = factory.listAvailableModels()[0]?.modelIdentifier ?? 'none';
});
afterAll(async () => {
  await factory?.close();
  await engine?.stop();
});

const question = [
  { role: 'system' as const, content: 'You are a helpful assistant.' },
  { role: 'user' as const, content: 'What is the capital of France?' },
];

describe('real llama-server', () => {
  it('discovery registers the model with its metadata', () => {
    const model = factory.getModel(id);
    expect(id).toBe(`SmolLM2-135M-Instruct:llama_cpp@127.0.0.1:${engine.port}`);
    // meta.n_ctx is per slot: -c 2048 over -np 2 slots gives each request 1024 tokens.
    expect(model?.defaultConfig).toMatchObject({
      contextWindow: 1024,
      trainedContextWindow: 8192,
      quantization: 'Q4_1',
    });
    expect(model?.defaultConfig.parameterCount).toBeGreaterThan(100_000_000);
    expect(model?.metadata.buildInfo).toMatch(/^b\d+-[0-9a-f]+$/);
    expect(factory.getHostHealth()[0]).toMatchObject({ status: 'up', warnings: [] });
  });

  it('answers a chat completion', async () => {
    const llm = factory.createLLM(id, { temperature: 0, maxTokens: 16 });
    const answer = await llm.sendMessages(question);
    expect(answer.content.length).toBeGreaterThan(0);
    expect(answer.usage?.completionTokens).toBeGreaterThan(0);
    expect(answer.timings?.predictedTokens).toBeGreaterThan(0);
  });

  it('streams several content chunks and a final chunk with usage', async () => {
    const llm = factory.createLLM(id, { temperature: 0, maxTokens: 24 });
    const chunks = [];
    for await (const chunk of llm.streamMessages(question)) chunks.push(chunk);
    const content = chunks.filter((c) => c.content);
    const final = chunks.at(-1);
    expect(content.length).toBeGreaterThan(3);
    expect(final?.isComplete).toBe(true);
    expect(final?.usage?.completionTokens).toBeGreaterThanOrEqual(content.length);
    expect(final?.usage?.completionTokens).toBeLessThanOrEqual(24);
    expect(final?.usage?.promptTokens).toBeGreaterThan(5);
    expect(final?.timings?.predictedPerSecond).toBeGreaterThan(0);
  });

  it('an abort mid-stream stops the stream and the engine stays healthy', async () => {
    const llm = factory.createLLM(id, { temperature: 0.8, maxTokens: 400 });
    const controller = new AbortController();
    let received = 0;
    const error = await (async () => {
      try {
        for await (const chunk of llm.streamMessages([{ role: 'user', content: 'Write a long story about a cat.' }], {
          signal: controller.signal,
        })) {
          if (chunk.content) received++;
          if (received === 3) controller.abort();
        }
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RequestAbortedError);
    expect(received).toBe(3);
    // The engine noticed the disconnect: its slots go idle and it answers the next request.
    let busy = true;
    for (let i = 0; i < 50 && busy; i++) {
      const slots = (await (await fetch(`${engine.url}/slots`)).json()) as Array<{ is_processing: boolean }>;
      busy = slots.some((s) => s.is_processing);
      if (busy) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(busy).toBe(false);
    const after = await factory.createLLM(id, { maxTokens: 4 }).sendMessages(question);
    expect(after.content.length).toBeGreaterThan(0);
  });

  it('a prompt beyond the context window gives the typed context error', async () => {
    const llm = factory.createLLM(id, { maxTokens: 4 });
    const huge = 'lorem ipsum dolor sit amet '.repeat(1200);
    const error = await llm.sendMessages([{ role: 'user', content: huge }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContextOverflowError);
    const overflow = error as ContextOverflowError;
    expect(overflow.contextWindow).toBe(1024); // 2048 split over 2 parallel slots
    expect(overflow.promptTokens).toBeGreaterThan(1024);
    expect(overflow.status).toBe(400);
    const streamed = await (async () => {
      try {
        for await (const _ of llm.streamMessages([{ role: 'user', content: huge }])) {
          // drain
        }
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(streamed).toBeInstanceOf(ContextOverflowError);
  });
});

describe('real llama-server with --api-key', () => {
  let secured: RunningEngine;
  beforeAll(async () => {
    secured = await startLlamaServer({ apiKey: 'sekret-test-key' });
  });
  afterAll(async () => {
    await secured?.stop();
  });

  it('without the key the host is unauthorized; with it discovery and chat work', async () => {
    const without = factoryWith({ llamaCppHosts: secured.url });
    await without.ensureInitialized();
    expect(without.getHostHealth()[0]).toMatchObject({ status: 'unauthorized' });
    expect(without.listAvailableModels()).toHaveLength(0);

    const withKey = factoryWith({ llamaCppHosts: secured.url, llamaCppApiKey: 'sekret-test-key' });
    await withKey.ensureInitialized();
    const [model] = withKey.listAvailableModels();
    expect(withKey.getHostHealth()[0]?.status).toBe('up');
    const answer = await withKey.createLLM(model!.modelIdentifier, { maxTokens: 4 }).sendMessages(question);
    expect(answer.content.length).toBeGreaterThan(0);
    await Promise.all([without.close(), withKey.close()]);
  });
});
