import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, embed, generateText, jsonSchema, streamText, tool } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_MODEL, type ClientGateway, EMBED_MODEL, startClientGateway } from '../support/client-gateway.js';

// The AI SDK (`ai` with `@ai-sdk/openai-compatible`) as a TypeScript app sets it up against an
// OpenAI-compatible server: baseURL = the gateway's /v1, apiKey = its token. Real llama-server
// (chat, and embeddings from an instance started with --embeddings) and real mlx_lm.server.
const TOKEN = 'ai-sdk-test-token';
let gatewayUnderTest: ClientGateway;
let server: ClientGateway['server'];
let gateway: ReturnType<typeof createOpenAICompatible>;
let mlxModel: string;

beforeAll(async () => {
  gatewayUnderTest = await startClientGateway(TOKEN);
  server = gatewayUnderTest.server;
  mlxModel = gatewayUnderTest.mlxModel;
  // includeUsage asks for the final usage chunk of a stream, as apps that count tokens do.
  gateway = createOpenAICompatible({
    name: 'autobyteus',
    baseURL: `${server.url}/v1`,
    apiKey: TOKEN,
    includeUsage: true,
  });
}, 240_000);

afterAll(async () => {
  await gatewayUnderTest?.stop();
});

/** streamText to the end: the text, every part type seen, the finish part and any error part. */
async function streamToEnd(options: Parameters<typeof streamText>[0]) {
  const result = streamText({ maxRetries: 0, ...options });
  let text = '';
  const types = new Set<string>();
  const errors: unknown[] = [];
  for await (const part of result.fullStream) {
    types.add(part.type);
    if (part.type === 'text-delta') text += part.text;
    if (part.type === 'error') errors.push(part.error);
  }
  return {
    text,
    types,
    errors,
    finishReason: await result.finishReason,
    usage: await result.totalUsage,
    response: await result.response,
  };
}

const weatherTool = tool({
  description: 'The weather in a city',
  inputSchema: jsonSchema<{ city: string }>({
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
  }),
});

describe('the AI SDK through the gateway (real llama-server, real mlx_lm.server)', { timeout: 90_000 }, () => {
  for (const engine of ['llama-server', 'mlx_lm.server'] as const) {
    const model = () => (engine === 'llama-server' ? CHAT_MODEL : mlxModel);

    it(`streamText from ${engine}: text, a finish reason and usage`, async () => {
      expect(model()).toBeTruthy();
      const streamed = await streamToEnd({ model: gateway(model()), prompt: 'Say hi.', maxOutputTokens: 8 });
      expect(streamed.errors).toEqual([]);
      expect(streamed.text.length).toBeGreaterThan(0);
      expect(['stop', 'length']).toContain(streamed.finishReason);
      expect(streamed.types.has('finish')).toBe(true);
      expect(streamed.usage.outputTokens).toBeGreaterThan(0);
      expect(streamed.usage.inputTokens).toBeGreaterThan(0);
      expect(streamed.response.modelId).toBe(model());
    });

    it(`generateText from ${engine}`, async () => {
      const answer = await generateText({
        model: gateway(model()),
        prompt: 'The sky is',
        maxOutputTokens: 6,
        maxRetries: 0,
      });
      expect(answer.text.length).toBeGreaterThan(0);
      expect(['stop', 'length']).toContain(answer.finishReason);
      expect(answer.usage.outputTokens).toBeGreaterThan(0);
      expect(answer.response.modelId).toBe(model());
    });

    it(`streamText with a tool offered to ${engine}: accepted, finished with a reason and usage`, async () => {
      // The 135M model may answer in text or call the tool; either way the request is accepted
      // and the stream ends properly.
      const streamed = await streamToEnd({
        model: gateway(model()),
        prompt: 'What is the weather in Paris? Use the tool.',
        tools: { get_weather: weatherTool },
        maxOutputTokens: 24,
      });
      expect(streamed.errors).toEqual([]);
      expect(['stop', 'length', 'tool-calls']).toContain(streamed.finishReason);
      expect(streamed.types.has('finish')).toBe(true);
      expect(streamed.usage.outputTokens).toBeGreaterThan(0);
    });
  }

  it('embed from the llama-server instance started with --embeddings', async () => {
    const answer = await embed({ model: gateway.embeddingModel(EMBED_MODEL), value: 'red apples', maxRetries: 0 });
    expect(answer.embedding.length).toBeGreaterThan(100);
    expect(answer.embedding.every((x) => Number.isFinite(x))).toBe(true);
  });

  it('a wrong token is an APICallError 401 carrying the gateway message', async () => {
    const wrong = createOpenAICompatible({ name: 'autobyteus', baseURL: `${server.url}/v1`, apiKey: 'not-the-token' });
    const error = await generateText({
      model: wrong(CHAT_MODEL),
      prompt: 'hi',
      maxOutputTokens: 2,
      maxRetries: 0,
    }).catch((e: unknown) => e);
    expect(APICallError.isInstance(error)).toBe(true);
    expect((error as APICallError).statusCode).toBe(401);
    expect((error as APICallError).message).toBe(
      'missing or wrong bearer token (Authorization: Bearer <AUTOBYTEUS_API_TOKEN>)',
    );
  });
});
