import { buildChatRequestBody } from '../../src/transport/chat-request.js';
import type { ChatStreamChunk } from '../../src/transport/chat-types.js';
import { HttpClient } from '../../src/transport/http-client.js';
import { OpenAICompatibleTransport } from '../../src/transport/openai-compatible-transport.js';

export const http = new HttpClient({ connectTimeoutMs: 1000, queueTimeoutMs: 1500, idleTimeoutMs: 1500 });

export function transportFor(
  url: string,
  runtime = 'llama_cpp',
  options: { apiKey?: string; requestTimeoutMs?: number } = {},
) {
  return new OpenAICompatibleTransport({
    runtime,
    baseUrl: url,
    http,
    apiKey: options.apiKey,
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
  });
}

export const helloBody = (stream: boolean) =>
  buildChatRequestBody('SmolLM2-135M-Instruct', [{ role: 'user', content: 'Say hi' }], { maxTokens: 8 }, {}, stream);

export async function collect(stream: AsyncIterable<ChatStreamChunk>): Promise<ChatStreamChunk[]> {
  const chunks: ChatStreamChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

/** Runs `fn` and returns what it threw (fails the test when it did not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to throw');
}
