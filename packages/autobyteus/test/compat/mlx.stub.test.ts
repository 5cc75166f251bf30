import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UnsupportedMediaError } from '../../src/compat/compat-errors.js';
import { LLMFactory } from '../../src/compat/llm-factory.js';
import { LLMUserMessage } from '../../src/compat/user-message.js';
import { LLMRuntime } from '../../src/llm/llm-runtime.js';
import type { LLMFactory as CoreLLMFactory } from '../../src/registry/llm-factory.js';
import { factoryWith } from '../support/factory.js';
import { loadFixture } from '../support/fixtures.js';
import { replay, type StubEngine, type StubHandler, startStubEngine } from '../support/stub-engine.js';

// Recorded mlx_lm.server answers: the same BaseLLM surface, MLX's whole (not fragmented) tool calls,
// and plain message objects (read by shape) instead of Message instances.
let stub: StubEngine | undefined;
let factory: CoreLLMFactory | undefined;
afterEach(async () => {
  await LLMFactory.resetForTests();
  await factory?.close();
  await stub?.close();
  stub = undefined;
});

/** A hub cache with the recorded model's config files, so discovery reads its context size. */
function hubCache(): string {
  const cache = mkdtempSync(join(tmpdir(), 'compat-hf-cache-'));
  const fixtures = join(import.meta.dirname, '..', 'fixtures', 'mlx-model-config');
  const repo = join(cache, 'models--autobyteus-test--SmolLM2-135M-Instruct-mlx');
  cpSync(fixtures, join(repo, 'snapshots', 'abc123'), { recursive: true });
  cpSync(join(fixtures, 'refs'), join(repo, 'refs'), { recursive: true });
  return cache;
}

async function mlxLLM(chat: StubHandler) {
  stub = await startStubEngine({
    '/health': replay(loadFixture('mlx', 'health')),
    '/v1/models': replay(loadFixture('mlx', 'models')),
    'POST /v1/chat/completions': chat,
  });
  factory = factoryWith({ mlxHosts: stub.url, huggingFaceCacheDir: hubCache() });
  LLMFactory.use(factory);
  const [info] = await LLMFactory.listModelsByRuntime(LLMRuntime.MLX);
  return { info: info!, llm: await LLMFactory.createLLM(info!.model_identifier) };
}

describe('BaseLLM over recorded mlx_lm.server answers', () => {
  it('lists the MLX model as ModelInfo and streams a tool call as one whole delta', async () => {
    const { info, llm } = await mlxLLM(replay(loadFixture('mlx', 'chat-tools-stream')));
    expect(info).toMatchObject({
      model_identifier: `autobyteus-test/SmolLM2-135M-Instruct-mlx:mlx@127.0.0.1:${stub!.port}`,
      provider_type: 'MLX',
      provider_name: 'MLX',
      runtime: 'mlx',
      max_context_tokens: 8192,
      active_context_tokens: 8192,
    });
    const deltas = [];
    let last: { is_complete: boolean; usage: unknown } | undefined;
    for await (const chunk of llm.streamMessages([{ role: 'user', content: 'Weather in Paris?' }], null, {
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }],
    })) {
      deltas.push(...(chunk.tool_calls ?? []));
      last = chunk;
    }
    expect(deltas).toStrictEqual([
      {
        index: 0,
        call_id: 'fde01f7f-3b06-4721-b1ba-5998775a1284',
        name: 'get_weather',
        arguments_delta: '{"city": "Paris"}',
      },
    ]);
    expect(last).toMatchObject({
      is_complete: true,
      usage: { prompt_tokens: 393, completion_tokens: 31, total_tokens: 424 },
    });
    const body = JSON.parse(stub!.requests.find((r) => r.path === '/v1/chat/completions')!.body);
    expect(body.model).toBe('autobyteus-test/SmolLM2-135M-Instruct-mlx');
    expect(body.tools[0].function.name).toBe('get_weather');
  });

  it('refuses images: mlx_lm.server reports no vision', async () => {
    const { llm } = await mlxLLM(replay(loadFixture('mlx', 'chat')));
    const error = await llm
      .sendUserMessage(new LLMUserMessage({ content: 'x', image_urls: ['data:image/png;base64,iVBORw0KGgo='] }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedMediaError);
    expect(stub!.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(0);
  });
});
