import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT_MODEL, type ClientGateway, EMBED_MODEL, startClientGateway } from '../support/client-gateway.js';

// The OpenAI and Anthropic endpoints beyond chat, through the gateway with the official clients,
// passed through to the real llama-server (which serves them itself) and refused for the real
// mlx_lm.server where it does not serve them.
let gatewayUnderTest: ClientGateway;
let server: ClientGateway['server'];
let openai: OpenAI;
let anthropic: Anthropic;
let mlxModel: string;

beforeAll(async () => {
  gatewayUnderTest = await startClientGateway();
  server = gatewayUnderTest.server;
  mlxModel = gatewayUnderTest.mlxModel;
  openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused-on-loopback', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: server.url, apiKey: 'unused-on-loopback', maxRetries: 0 });
}, 240_000);

afterAll(async () => {
  await gatewayUnderTest?.stop();
});

describe('forwarded endpoints with the official clients (real llama-server, real mlx_lm.server)', () => {
  it('text completions, whole and streamed, answer under the requested name', async () => {
    const whole = await openai.completions.create({ model: CHAT_MODEL, prompt: 'The sky is', max_tokens: 6 });
    expect(whole.model).toBe(CHAT_MODEL);
    expect(whole.choices[0]?.text.length).toBeGreaterThan(0);
    let text = '';
    const stream = await openai.completions.create({
      model: CHAT_MODEL,
      prompt: 'One, two,',
      max_tokens: 6,
      stream: true,
    });
    for await (const chunk of stream) {
      expect(chunk.model).toBe(CHAT_MODEL);
      text += chunk.choices[0]?.text ?? '';
    }
    expect(text.length).toBeGreaterThan(0);
  });

  it('embeddings from the instance started with --embeddings', async () => {
    const answer = await openai.embeddings.create({ model: EMBED_MODEL, input: ['red apples', 'green pears'] });
    expect(answer.data).toHaveLength(2);
    expect(answer.data[0]?.embedding.length).toBeGreaterThan(100);
  });

  it('the Responses API, streamed', async () => {
    const stream = await openai.responses.create({
      model: CHAT_MODEL,
      input: 'Say hi.',
      max_output_tokens: 16,
      stream: true,
    });
    const types = new Set<string>();
    let text = '';
    for await (const event of stream) {
      types.add(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(types.has('response.completed')).toBe(true);
    expect(text.length).toBeGreaterThan(0);
  });

  it('Anthropic messages, streamed (tools offered), and count_tokens', async () => {
    // SmolLM2's chat template has no tool support, so llama-server answers in text even when a tool
    // is offered; the stream's events are the engine's own, relayed as they are.
    const stream = anthropic.messages.stream({
      model: CHAT_MODEL,
      max_tokens: 16,
      messages: [{ role: 'user', content: 'What is the weather in Paris?' }],
      tools: [
        {
          name: 'get_weather',
          description: 'Weather for a city',
          input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      ],
    });
    const events = new Set<string>();
    stream.on('streamEvent', (event) => events.add(event.type));
    const message = await stream.finalMessage();
    expect([...events]).toEqual(expect.arrayContaining(['message_start', 'content_block_delta', 'message_stop']));
    expect(message.model).toBe(CHAT_MODEL);
    expect(message.stop_reason).toBe('max_tokens');
    expect(message.content.some((block) => block.type === 'text' && block.text.length > 0)).toBe(true);
    const counted = await anthropic.messages.countTokens({
      model: CHAT_MODEL,
      messages: [{ role: 'user', content: 'Hello there' }],
    });
    expect(counted.input_tokens).toBeGreaterThan(0);
  });

  it('errors on the Anthropic routes come in Anthropic shape', async () => {
    const error = await anthropic.messages
      .create({ model: 'no-such-model', max_tokens: 4, messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect((error as InstanceType<typeof Anthropic.NotFoundError>).error).toMatchObject({
      type: 'error',
      error: { type: 'not_found_error' },
    });
  });

  it('passes completions through to mlx_lm.server, and refuses what it does not serve, naming it', async () => {
    expect(mlxModel).toBeTruthy();
    const whole = await openai.completions.create({ model: mlxModel, prompt: 'The sky is', max_tokens: 4 });
    expect(whole.choices[0]?.text.length).toBeGreaterThan(0);
    const refused = await openai.embeddings.create({ model: mlxModel, input: 'x' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
    expect((refused as Error).message).toContain('/v1/embeddings is not served by the engine of this model (MLX');
  });
});
