import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LLMFactory } from '../../src/registry/llm-factory.js';
import { factoryWith } from '../support/factory.js';
import { type RunningEngine, startLlamaServer } from '../support/real-engines.js';

// A real llama-server with ONE slot and an idle bound far shorter than one answer: every request
// but the first waits for the slot with no bytes on the wire. Waiting is not silence.
let engine: RunningEngine;
let factory: LLMFactory;
const IDLE_MS = 1_000;
const STREAMS = 4;

beforeAll(async () => {
  engine = await startLlamaServer({ extraArgs: ['-np', '1'] });
  factory = factoryWith({ llamaCppHosts: engine.url, idleTimeoutMs: IDLE_MS });
  await factory.ensureInitialized();
});
afterAll(async () => {
  await factory?.close();
  await engine?.stop();
});

describe('real llama-server, one slot, many streams', () => {
  it('requests queued for the slot longer than the idle timeout all complete', async () => {
    const id = factory.listAvailableModels()[0]?.modelIdentifier ?? 'none';
    const run = async () => {
      // ignore_eos makes every answer the full length, so each holds the slot for a while.
      const llm = factory.createLLM(id, { temperature: 0, maxTokens: 96, extraParams: { ignore_eos: true } });
      let tokens = 0;
      let finish: string | undefined;
      const started = performance.now();
      let firstChunkAt = 0;
      for await (const chunk of llm.streamMessages([{ role: 'user', content: 'Count from one to one hundred.' }])) {
        if (chunk.content && !firstChunkAt) firstChunkAt = performance.now() - started;
        if (chunk.content) tokens += 1;
        if (chunk.isComplete) finish = chunk.finishReason;
      }
      return { tokens, finish, firstChunkAt };
    };
    const results = await Promise.all(Array.from({ length: STREAMS }, run));
    for (const result of results) {
      expect(result.finish).toBe('length');
      expect(result.tokens).toBeGreaterThan(50);
    }
    // The point of the test: at least one stream waited longer than the idle bound before its first byte.
    expect(Math.max(...results.map((r) => r.firstChunkAt))).toBeGreaterThan(IDLE_MS);
  });
});
