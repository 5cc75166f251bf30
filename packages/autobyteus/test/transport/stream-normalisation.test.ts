import { afterEach, describe, expect, it } from 'vitest';
import { loadFixture } from '../support/fixtures.js';
import { replay, type StubEngine, startStubEngine } from '../support/stub-engine.js';
import { collect, helloBody, transportFor } from './test-transport.js';

let stub: StubEngine | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

describe('streaming recorded llama-server answers', () => {
  it('yields content deltas and one final chunk with usage and timings', async () => {
    const fixture = loadFixture('llama-cpp', 'chat-stream');
    stub = await startStubEngine({ 'POST /v1/chat/completions': replay(fixture) });
    const chunks = await collect(transportFor(stub.url).stream(helloBody(true)));
    const deltas = chunks.filter((c) => !c.isComplete);
    const final = chunks.at(-1)!;
    expect(deltas.length).toBeGreaterThan(3);
    expect(chunks.filter((c) => c.isComplete)).toHaveLength(1);
    expect(final.isComplete).toBe(true);
    expect(final.finishReason).toBeDefined();
    expect(final.usage?.completionTokens).toBeGreaterThan(0);
    expect(final.usage?.totalTokens).toBe((final.usage?.promptTokens ?? 0) + (final.usage?.completionTokens ?? 0));
    expect(final.timings?.predictedTokens).toBeGreaterThan(0);
    expect(deltas.map((c) => c.content).join('')).toMatch(/Paris/);
  });

  it('still ends with a complete chunk when the engine sends no usage', async () => {
    stub = await startStubEngine({
      'POST /v1/chat/completions': replay(loadFixture('llama-cpp', 'chat-stream-no-usage')),
    });
    const final = (await collect(transportFor(stub.url).stream(helloBody(true)))).at(-1)!;
    expect(final.isComplete).toBe(true);
    expect(final.usage).toBeUndefined();
    expect(final.finishReason).toBeDefined();
  });

  it('asks for usage with stream_options and forwards every config field', async () => {
    stub = await startStubEngine({ 'POST /v1/chat/completions': replay(loadFixture('llama-cpp', 'chat-stream')) });
    const { buildChatRequestBody } = await import('../../src/transport/chat-request.js');
    const body = buildChatRequestBody(
      'm',
      [{ role: 'user', content: 'x' }],
      {
        temperature: 0.2,
        topP: 0.9,
        maxTokens: 5,
        stop: ['\n'],
        frequencyPenalty: 0.1,
        presencePenalty: 0.3,
        seed: 7,
        responseFormat: { type: 'json_object' },
        extraParams: { top_k: 40 },
      },
      { tools: [{ type: 'function', function: { name: 'f' } }], toolChoice: 'auto' },
      true,
    );
    await collect(transportFor(stub.url).stream(body));
    const sent = JSON.parse(stub.requests[0]!.body);
    expect(sent).toMatchObject({
      model: 'm',
      stream: true,
      stream_options: { include_usage: true },
      temperature: 0.2,
      top_p: 0.9,
      max_tokens: 5,
      stop: ['\n'],
      frequency_penalty: 0.1,
      presence_penalty: 0.3,
      seed: 7,
      response_format: { type: 'json_object' },
      top_k: 40,
      tool_choice: 'auto',
    });
    expect(sent.tools[0].function.name).toBe('f');
  });

  it('fragmented (llama.cpp) and whole (MLX) tool calls, both recorded, give the same deltas and assembled calls', async () => {
    stub = await startStubEngine({
      'POST /v1/chat/completions': replay(loadFixture('llama-cpp', 'chat-tools-stream')),
    });
    const fragmented = await collect(transportFor(stub.url).stream(helloBody(true)));
    await stub.close();
    stub = await startStubEngine({
      'POST /v1/chat/completions': replay(loadFixture('mlx', 'chat-tools-stream')),
    });
    const whole = await collect(transportFor(stub.url, 'mlx').stream(helloBody(true)));

    const fragmentDeltas = fragmented.flatMap((c) => c.toolCalls ?? []);
    expect(fragmentDeltas.length).toBeGreaterThan(3);
    expect(fragmentDeltas[0]).toMatchObject({ index: 0, name: 'get_weather', id: expect.any(String) });
    expect(fragmentDeltas.slice(1).every((d) => d.index === 0 && d.name === undefined)).toBe(true);
    const [call] = fragmented.at(-1)?.completeToolCalls ?? [];
    expect(call?.name).toBe('get_weather');
    expect(call?.arguments).toBe(fragmentDeltas.map((d) => d.argumentsDelta).join(''));
    expect(JSON.parse(call?.arguments ?? '')).toHaveProperty('city');
    expect(fragmented.at(-1)?.finishReason).toBe('tool_calls');

    const wholeDeltas = whole.flatMap((c) => c.toolCalls ?? []);
    expect(wholeDeltas).toEqual([
      {
        index: 0,
        id: 'fde01f7f-3b06-4721-b1ba-5998775a1284',
        name: 'get_weather',
        argumentsDelta: '{"city": "Paris"}',
      },
    ]);
    expect(whole.at(-1)?.completeToolCalls?.map((c) => [c.name, JSON.parse(c.arguments)])).toEqual([
      ['get_weather', { city: 'Paris' }],
    ]);
    expect(whole.at(-1)).toMatchObject({ finishReason: 'tool_calls', usage: { completionTokens: 31 } });
  });

  it('reads a non-streamed answer with usage and timings', async () => {
    stub = await startStubEngine({ 'POST /v1/chat/completions': replay(loadFixture('llama-cpp', 'chat')) });
    const answer = await transportFor(stub.url).complete(helloBody(false));
    expect(answer.content).toMatch(/Paris/);
    expect(answer.usage?.promptTokens).toBeGreaterThan(0);
    expect(answer.timings?.predictedPerSecond).toBeGreaterThan(0);
    expect(answer.finishReason).toBeDefined();
  });
});
