import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { BaseLLM } from '../../src/compat/base-llm.js';
import { InvalidMediaSourceError, UnsupportedMediaError } from '../../src/compat/compat-errors.js';
import { LLMConfig } from '../../src/compat/llm-config.js';
import { LLMFactory } from '../../src/compat/llm-factory.js';
import { Message, MessageRole, ToolCallPayload, ToolResultPayload } from '../../src/compat/messages.js';
import type { ChunkResponse } from '../../src/compat/response-types.js';
import { LLMUserMessage } from '../../src/compat/user-message.js';
import { ContextOverflowError, RequestAbortedError } from '../../src/transport/llm-errors.js';
import { loadFixture } from '../support/fixtures.js';
import { partialStream, replay, type StubEngine, type StubHandler } from '../support/stub-engine.js';
import { chatBodies, closeFactories, startLlamaHost, useFactoryFor } from './llama-host.js';

let llama: StubEngine | undefined;
afterEach(async () => {
  await closeFactories();
  await llama?.close();
  llama = undefined;
});

async function llmOn(chat: StubHandler, options: { vision?: boolean; config?: LLMConfig } = {}): Promise<BaseLLM> {
  llama = await startLlamaHost({ chat, vision: options.vision });
  useFactoryFor(llama);
  return LLMFactory.createLLM(`SmolLM2-135M-Instruct:llama_cpp@127.0.0.1:${llama.port}`, options.config);
}

async function collect(stream: AsyncIterable<ChunkResponse>): Promise<ChunkResponse[]> {
  const chunks: ChunkResponse[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Get the current weather for a city.',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

describe('BaseLLM calls over recorded llama-server answers', () => {
  it('sendUserMessage sends the system prompt and the message, and answers CompleteResponse', async () => {
    const llm = await llmOn(replay(loadFixture('llama-cpp', 'chat')), { config: new LLMConfig({ maxTokens: 24 }) });
    const answer = await llm.sendUserMessage(new LLMUserMessage({ content: 'What is the capital of France?' }));
    expect(answer.content).toBe('The capital of France is Paris.');
    expect(answer.reasoning).toBeNull();
    expect(answer.usage).toStrictEqual({ prompt_tokens: 32, completion_tokens: 8, total_tokens: 40 });
    expect(llm.latestTokenUsage).toStrictEqual(answer.usage);
    const [body] = chatBodies(llama!);
    expect(body).toMatchObject({
      model: 'SmolLM2-135M-Instruct',
      messages: [
        { role: 'system', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'What is the capital of France?' },
      ],
      temperature: 0.7,
      max_tokens: 24,
      stream: false,
      cache_prompt: true,
    });
    expect(body).not.toHaveProperty('tools');

    llm.configureSystemPrompt('Answer in French.');
    await llm.sendUserMessage(new LLMUserMessage({ content: 'Hi' }));
    expect(chatBodies(llama!)[1]?.messages).toStrictEqual([
      { role: 'system', content: 'Answer in French.' },
      { role: 'user', content: 'Hi' },
    ]);
  });

  it('streamUserMessage yields content chunks and one last is_complete chunk with usage', async () => {
    const llm = await llmOn(replay(loadFixture('llama-cpp', 'chat-stream')));
    const chunks = await collect(llm.streamUserMessage(new LLMUserMessage({ content: 'Capital of France?' })));
    expect(chunks.filter((c) => c.content).length).toBeGreaterThan(3);
    expect(chunks.map((c) => c.content).join('')).toMatch(/Paris/);
    expect(chunks.filter((c) => c.is_complete)).toHaveLength(1);
    const last = chunks.at(-1)!;
    expect(last.is_complete).toBe(true);
    expect(last.usage?.completion_tokens).toBeGreaterThan(0);
    expect(last.usage?.total_tokens).toBe((last.usage?.prompt_tokens ?? 0) + (last.usage?.completion_tokens ?? 0));
    expect(chunks.every((c) => c.tool_calls === null)).toBe(true);
    expect(llm.latestTokenUsage).toStrictEqual(last.usage);
    expect(chatBodies(llama!)[0]).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('streamMessages sends tools from kwargs and the tool history, and streams tool-call deltas', async () => {
    const llm = await llmOn(replay(loadFixture('llama-cpp', 'chat-tools-stream')));
    const history = [
      new Message(MessageRole.SYSTEM, 'You are a helpful assistant.'),
      new Message(MessageRole.USER, 'What is the weather like in London right now?'),
      new Message(MessageRole.ASSISTANT, {
        content: null,
        tool_payload: new ToolCallPayload([{ id: 'call_1', name: 'get_weather', arguments: { city: 'London' } }]),
      }),
      new Message(MessageRole.TOOL, {
        tool_payload: new ToolResultPayload('call_1', 'get_weather', { temperature_c: 14 }),
      }),
      new Message(MessageRole.USER, 'And in Paris?'),
    ];
    const kwargs = { tools: [weatherTool], tool_choice: 'auto', logicalConversationId: 'agent-1' };
    const chunks = await collect(llm.streamMessages(history, null, kwargs, { turnId: 'turn-1' }));
    const deltas = chunks.flatMap((c) => c.tool_calls ?? []);
    expect(deltas[0]).toMatchObject({ index: 0, name: 'get_weather' });
    expect(deltas[0]?.call_id).toMatch(/\w+/);
    expect(deltas.slice(1).every((d) => d.index === 0 && !d.name)).toBe(true);
    const args = JSON.parse(deltas.map((d) => d.arguments_delta ?? '').join(''));
    expect(args).toHaveProperty('city');
    expect(chunks.at(-1)?.is_complete).toBe(true);

    const [body] = chatBodies(llama!);
    expect(body?.tools).toStrictEqual([weatherTool]);
    expect(body?.tool_choice).toBe('auto');
    expect(body).not.toHaveProperty('logicalConversationId');
    expect((body!.messages as unknown[]).slice(2, 4)).toStrictEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"London"}' } },
        ],
      },
      { role: 'tool', content: '{"temperature_c":14}', tool_call_id: 'call_1' },
    ]);
  });

  it('a tool error goes back as the tool message text', async () => {
    const llm = await llmOn(replay(loadFixture('llama-cpp', 'chat')));
    await llm.sendMessages([
      new Message(MessageRole.USER, 'Weather?'),
      new Message(MessageRole.ASSISTANT, {
        tool_payload: new ToolCallPayload([{ id: 'c', name: 'get_weather', arguments: {} }]),
      }),
      new Message(MessageRole.TOOL, { tool_payload: new ToolResultPayload('c', 'get_weather', null, 'no city') }),
    ]);
    expect((chatBodies(llama!)[0]!.messages as unknown[])[2]).toStrictEqual({
      role: 'tool',
      content: 'Error: no city',
      tool_call_id: 'c',
    });
  });

  it('refuses an image for a model whose engine reports no vision, before any request', async () => {
    const llm = await llmOn(replay(loadFixture('llama-cpp', 'chat')));
    const error = await llm
      .sendUserMessage(new LLMUserMessage({ content: 'What is this?', image_urls: ['https://example.com/cat.png'] }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnsupportedMediaError);
    expect((error as UnsupportedMediaError).media).toBe('image');
    expect((error as Error).message).toContain(`llama_cpp ${llama!.url} POST /v1/chat/completions`);
    expect((error as Error).message).toContain('does not accept images');
    expect((error as Error).message).toContain('--mmproj');
    expect(chatBodies(llama!)).toHaveLength(0);
  });

  it('refuses audio and video for every model', async () => {
    const llm = await llmOn(replay(loadFixture('llama-cpp', 'chat')), { vision: true });
    const audio = await collect(
      llm.streamUserMessage(new LLMUserMessage({ content: 'Transcribe', audio_urls: ['a.wav'] })),
    ).catch((e: unknown) => e);
    expect(audio).toBeInstanceOf(UnsupportedMediaError);
    expect((audio as UnsupportedMediaError).media).toBe('audio');
    const video = await llm
      .sendUserMessage(new LLMUserMessage({ content: 'Describe', video_urls: ['v.mp4'] }))
      .catch((e: unknown) => e);
    expect((video as UnsupportedMediaError).media).toBe('video');
    expect(chatBodies(llama!)).toHaveLength(0);
  });

  it('sends images as content parts to a vision model: URLs as given, a local file as a data URI', async () => {
    const llm = await llmOn(replay(loadFixture('llama-cpp', 'chat')), { vision: true });
    const png = join(mkdtempSync(join(tmpdir(), 'compat-image-')), 'dot.bin');
    // An 8-byte PNG signature is enough for the type; the stub does not decode the image.
    writeFileSync(png, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]));
    await llm.sendUserMessage(
      new LLMUserMessage({ content: 'Compare', image_urls: ['https://example.com/cat.jpg', png] }),
    );
    const [, user] = chatBodies(llama!)[0]!.messages as Array<{ content: unknown }>;
    expect(user?.content).toStrictEqual([
      { type: 'text', text: 'Compare' },
      { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
      { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgoAAA==' } },
    ]);
    const bad = await llm
      .sendUserMessage(new LLMUserMessage({ content: 'x', image_urls: ['/no/such/file.png'] }))
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(InvalidMediaSourceError);
    expect((bad as Error).message).toContain('is not an http(s) URL, a data:image URI, an image file or base64');
    expect(chatBodies(llama!)).toHaveLength(1);
  });

  it("engine errors arrive as the library's typed errors", async () => {
    const llm = await llmOn(replay(loadFixture('llama-cpp', 'context-overflow')));
    const error = await llm.sendUserMessage(new LLMUserMessage({ content: 'long' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ContextOverflowError);
    expect((error as ContextOverflowError).contextWindow).toBe(256);
  });

  it('options.signal aborts a stream', async () => {
    const llm = await llmOn(partialStream(loadFixture('llama-cpp', 'chat-stream'), 3, 'hang'));
    const controller = new AbortController();
    let received = 0;
    const error = await (async () => {
      for await (const chunk of llm.streamUserMessage(
        new LLMUserMessage({ content: 'Hi' }),
        {},
        {
          signal: controller.signal,
        },
      )) {
        if (chunk.content) received++;
        if (received === 2) controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RequestAbortedError);
    expect(received).toBe(2);
  });
});
