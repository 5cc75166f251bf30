import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  MLX_REPO_ID,
  mlxHubCache,
  mlxPython,
  type RunningEngine,
  startMlxServer,
} from '../../../autobyteus/test/support/real-engines.js';
import { type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';
import { configFor, WEATHER_TOOL } from '../support/translated-endpoints.js';

// /v1/messages and /v1/responses through the gateway to the real mlx_lm.server, which serves
// neither: the gateway translates them to chat completions and back. The tiny model may or may not
// call the tool, so this asserts what must hold (events, shapes the SDKs parse, stop reasons, usage);
// translated-endpoints-stub.e2e.test.ts checks the tool paths deterministically.

describe('translated endpoints on the real mlx_lm.server, with the official clients', () => {
  let engine: RunningEngine;
  let server: ServerProcess;
  let anthropic: Anthropic;
  let openai: OpenAI;
  let model: string;

  beforeAll(async () => {
    engine = await startMlxServer();
    server = await startServerProcess(tempHome(configFor([engine.url])), [], {}, 'serve', 120_000);
    anthropic = new Anthropic({ baseURL: server.url, apiKey: 'unused-on-loopback', maxRetries: 0 });
    openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused-on-loopback', maxRetries: 0 });
    const listing = (await (await fetch(`${server.url}/v1/models`)).json()) as {
      data: Array<{ id: string; owned_by: string }>;
    };
    model = listing.data.find((m) => m.owned_by === 'mlx')?.id as string;
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    await engine?.stop();
  });

  it('Anthropic messages, streamed with a tool offered, then continued with a tool_result', async () => {
    expect(model).toBeTruthy();
    const question = { role: 'user' as const, content: 'What is the weather in Paris?' };
    const stream = anthropic.messages.stream({ model, max_tokens: 16, messages: [question], tools: [WEATHER_TOOL] });
    const events: string[] = [];
    stream.on('streamEvent', (event) => events.push(event.type));
    const message = await stream.finalMessage();
    expect(events[0]).toBe('message_start');
    expect(events.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(message.model).toBe(model);
    expect(['end_turn', 'max_tokens', 'tool_use']).toContain(message.stop_reason);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    // The tiny model may or may not call the tool; the history is continued with a call either way.
    const next = await anthropic.messages
      .stream({
        model,
        max_tokens: 16,
        tools: [WEATHER_TOOL],
        messages: [
          question,
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '{"temperature_c":17}' }] },
        ],
      })
      .finalMessage();
    expect(next.stop_reason).not.toBeNull();
    expect(next.usage.output_tokens).toBeGreaterThan(0);
  });

  it('Responses API, streamed and whole, with a function tool', async () => {
    const tools: OpenAI.Responses.FunctionTool[] = [
      { type: 'function', name: 'get_weather', parameters: WEATHER_TOOL.input_schema, strict: false },
    ];
    const stream = await openai.responses.create({
      model,
      input: 'Say hi.',
      max_output_tokens: 12,
      tools,
      stream: true,
    });
    const types: string[] = [];
    let final: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.completed' || event.type === 'response.incomplete') final = event.response;
    }
    expect(types.slice(0, 3)).toEqual(['response.created', 'response.in_progress', 'response.output_item.added']);
    expect(['response.completed', 'response.incomplete']).toContain(types.at(-1));
    expect(final?.usage?.input_tokens).toBeGreaterThan(0);
    expect(final?.output.length).toBeGreaterThan(0);
    const whole = await openai.responses.create({ model, input: 'Say hi.', max_output_tokens: 12, tools });
    expect(whole.object).toBe('response');
    expect(whole.model).toBe(model);
    expect(['completed', 'incomplete']).toContain(whole.status);
    expect(whole.usage?.output_tokens).toBeGreaterThan(0);
  });
});

describe('translated endpoints on a local MLX model loaded on demand (real mlx_lm.server)', () => {
  let server: ServerProcess | undefined;
  afterAll(async () => {
    await server?.stop();
  });

  it('a streamed Anthropic request gets loading comments first, then the Messages events', async () => {
    server = await startServerProcess(
      tempHome('[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n[llama_cpp]\nhosts = ""\n'),
      [],
      {
        AUTOBYTEUS_PORT: '0',
        MLX_MANAGED: 'true',
        MLX_PYTHON_BIN: mlxPython(),
        MLX_MANAGED_PORT: String(await freePort()),
        HF_HUB_CACHE: mlxHubCache(),
        HF_HUB_OFFLINE: '1',
      },
      'serve',
      120_000,
    );
    const response = await fetch(`${server.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: MLX_REPO_ID,
        max_tokens: 4,
        stream: true,
        messages: [{ role: 'user', content: 'Say hi.' }],
      }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text.startsWith(`: loading ${MLX_REPO_ID}`)).toBe(true);
    const events = [...text.matchAll(/^event: (\S+)$/gm)].map((m) => m[1]);
    expect(events[0]).toBe('message_start');
    expect(events.slice(-2)).toEqual(['message_delta', 'message_stop']);
    // Loaded now: the official client reads the same route.
    const client = new Anthropic({ baseURL: server.url, apiKey: 'unused-on-loopback', maxRetries: 0 });
    const message = await client.messages
      .stream({ model: MLX_REPO_ID, max_tokens: 4, messages: [{ role: 'user', content: 'Say hi.' }] })
      .finalMessage();
    expect(message.stop_reason).toBe('max_tokens');
  }, 240_000);
});
