import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LLMFactory, LLMUserMessage, UnsupportedMediaError } from 'autobyteus/compat';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The chat template the fixture recorder gives llama-server for tool calls (SmolLM2's own has none).
import { toolTemplate } from '../../../../scripts/record-fixtures/tool-template.mjs';
import { type RunningEngine, startLlamaServer } from '../support/real-engines.js';
import { runWeatherAgent } from './agent-program.js';

// The REAL llama-server with SmolLM2-135M; the program under test only sees 'autobyteus/compat' and the
// environment, as an autobyteus-ts agent would. Missing engine = failing test, never a skip.
let engine: RunningEngine;
const saved: Record<string, string | undefined> = {};
const ENV = [
  'LLAMACPP_HOSTS',
  'MLX_HOSTS',
  'OLLAMA_HOSTS',
  'LMSTUDIO_HOSTS',
  'OPENAI_COMPATIBLE_HOSTS',
  'HF_HUB_CACHE',
];

beforeAll(async () => {
  const template = join(mkdtempSync(join(tmpdir(), 'compat-agent-')), 'tools.jinja');
  writeFileSync(template, toolTemplate());
  engine = await startLlamaServer({ extraArgs: ['--chat-template-file', template] });
  for (const key of ENV) saved[key] = process.env[key];
  Object.assign(process.env, {
    LLAMACPP_HOSTS: engine.url,
    MLX_HOSTS: '',
    OLLAMA_HOSTS: '',
    LMSTUDIO_HOSTS: '',
    OPENAI_COMPATIBLE_HOSTS: '',
    HF_HUB_CACHE: join(tmpdir(), 'compat-agent-no-hf-cache'),
  });
  await LLMFactory.resetForTests();
});
afterAll(async () => {
  await LLMFactory.resetForTests();
  for (const key of ENV) {
    if (saved[key] === undefined) delete process.env[key];
    else process.env[key] = saved[key];
  }
  await engine?.stop();
});

describe('an autobyteus-ts style agent on the real llama-server', () => {
  it('lists the model, streams, calls the tool, sends the result and continues', async () => {
    const cities: string[] = [];
    // tool_choice "required" alone does not make llama-server force the call: its tool-call grammar
    // is lazy, armed by the template's `<tool_call>` trigger, which SmolLM2-135M rarely starts on its own.
    // A small logit bias on `<` (SmolLM2 token 44) lets it start; the grammar then forces a valid call.
    // After the tool result `<` is pushed down so the model answers in prose instead of echoing tags.
    const transcript = await runWeatherAgent(
      (city) => {
        cities.push(city);
        return { city, temperature_c: 21, condition: 'sunny' };
      },
      { toolTurn: { logit_bias: { 44: 3, 2: 10 } }, answerTurn: { logit_bias: { 44: -20 } } },
    );
    const id = `SmolLM2-135M-Instruct:llama_cpp@127.0.0.1:${engine.port}`;
    expect(transcript.modelIdentifier).toBe(id);
    expect(transcript.models).toHaveLength(1);
    expect(transcript.models[0]).toMatchObject({
      model_identifier: id,
      provider_type: 'LLAMA_CPP',
      runtime: 'llama_cpp',
      host_url: engine.url,
      active_context_tokens: 1024,
      max_context_tokens: 8192,
    });

    expect(transcript.plain.chunks).toBeGreaterThan(3);
    expect(transcript.plain.text.length).toBeGreaterThan(0);
    expect(transcript.plain.usage?.completion_tokens).toBeGreaterThan(0);

    expect(transcript.toolCall).toMatchObject({ name: 'get_weather' });
    expect(transcript.toolCall?.callId.length).toBeGreaterThan(0);
    expect(typeof transcript.toolCall?.arguments.city).toBe('string');
    expect(transcript.toolRuns).toEqual(['get_weather']);
    expect(cities).toHaveLength(1);

    // The continuation read the tool result (temperature 0: the same answer every run on this model).
    expect(transcript.answer.text).toMatch(/21|sunny/i);
    expect(transcript.answer.usage?.prompt_tokens).toBeGreaterThan(transcript.plain.usage?.prompt_tokens ?? 0);
    expect(transcript.requestsMade).toBe(3);
  }, 300_000);

  it('an image for this text-only model is refused with a typed error', async () => {
    const [info] = await LLMFactory.listAvailableModels();
    const llm = await LLMFactory.createLLM(info!.model_identifier);
    const error = await llm
      .sendUserMessage(
        new LLMUserMessage({ content: 'What is in the picture?', image_urls: ['https://example.com/a.png'] }),
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedMediaError);
    expect((error as Error).message).toContain(`llama_cpp ${engine.url} POST /v1/chat/completions`);
  });
});
