import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadFixture } from '../../../autobyteus/test/support/fixtures.js';
import {
  partialStream,
  replay,
  type StubEngine,
  startStubEngine,
} from '../../../autobyteus/test/support/stub-engine.js';
import { parseSse } from '../http/translate/sse-events.js';
import { parseMetrics, sampleValue } from '../support/prometheus-text.js';
import { type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';
import { configFor, mlxModels, WEATHER_TOOL } from '../support/translated-endpoints.js';

// /v1/messages and /v1/responses for engines that lack them, translated by the gateway to chat
// completions and back, on stub engines (real HTTP servers on 127.0.0.1) that replay mlx_lm.server's
// recorded streams (a tool call, text) or misbehave: the official clients must parse every answer.

describe('translated endpoints on MLX-shaped stub engines (tool calls, stop sequences, broken streams)', () => {
  let toolHost: StubEngine;
  /** Thinks first (reasoning deltas), then answers; or streams slowly for the client that hangs up. */
  let reasoningHost: StubEngine;
  let slowHost: StubEngine;
  let slowAborted = 0;
  /** Engines that cut their stream: one for each request below (a cut marks its host down). */
  let cutHosts: StubEngine[];
  let server: ServerProcess;
  let anthropic: Anthropic;
  let openai: OpenAI;
  const TOOL_MODEL = 'stub/tool-model';
  const REASONING_MODEL = 'stub/reasoning-model';
  const SLOW_MODEL = 'stub/slow-model';
  const CUT_MODELS = ['stub/cut-model-a', 'stub/cut-model-b', 'stub/cut-model-c'];
  /** The chat bodies the tool host received, parsed. */
  const toolRequests = () =>
    toolHost.requests
      .filter((r) => r.path === '/v1/chat/completions')
      .map((r) => JSON.parse(r.body) as Record<string, unknown>);

  beforeAll(async () => {
    const toolStream = loadFixture('mlx', 'chat-tools-stream');
    const textStream = loadFixture('mlx', 'chat-stream');
    toolHost = await startStubEngine({
      '/v1/models': mlxModels(TOOL_MODEL),
      // A tool result in the history gets a text answer; otherwise the model calls the tool.
      'POST /v1/chat/completions': (req, res, body) => {
        const sent = JSON.parse(body) as { messages: Array<{ role: string }>; tools?: unknown[] };
        const answered = sent.messages.some((m) => m.role === 'tool') || !sent.tools;
        return replay(answered ? textStream : toolStream)(req, res, body);
      },
    });
    cutHosts = await Promise.all(
      CUT_MODELS.map((id) =>
        startStubEngine({
          '/v1/models': mlxModels(id),
          'POST /v1/chat/completions': partialStream(textStream, 3, 'destroy'),
        }),
      ),
    );
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', model: 'x', created: 1, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    reasoningHost = await startStubEngine({
      '/v1/models': mlxModels(REASONING_MODEL),
      'POST /v1/chat/completions': (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(
          chunk({ role: 'assistant', reasoning: 'The user' }) +
            chunk({ reasoning: ' greets me.' }) +
            chunk({ content: 'Hello!' }) +
            chunk({}, 'stop') +
            `data: ${JSON.stringify({ id: 'c', object: 'chat.completion', choices: [], usage: { prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 } })}\n\n` +
            'data: [DONE]\n\n',
        );
      },
    });
    slowHost = await startStubEngine({
      '/v1/models': mlxModels(SLOW_MODEL),
      'POST /v1/chat/completions': (req, res, body) => {
        res.on('close', () => {
          if (!res.writableFinished) slowAborted++;
        });
        return replay(textStream, { eventDelayMs: 300 })(req, res, body);
      },
    });
    const hosts = [toolHost, reasoningHost, slowHost, ...cutHosts].map((h) => h.url);
    server = await startServerProcess(tempHome(configFor(hosts)));
    anthropic = new Anthropic({ baseURL: server.url, apiKey: 'unused-on-loopback', maxRetries: 0 });
    openai = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused-on-loopback', maxRetries: 0 });
  });

  afterAll(async () => {
    await server?.stop();
    await Promise.all([toolHost, reasoningHost, slowHost, ...(cutHosts ?? [])].map((host) => host?.close()));
  });

  it('Anthropic messages, streamed: a tool_use block with parsed input, then the tool_result continues', async () => {
    const question = { role: 'user' as const, content: 'What is the weather like in Paris right now?' };
    const stream = anthropic.messages.stream({
      model: TOOL_MODEL,
      max_tokens: 64,
      system: 'You are a helpful assistant.',
      messages: [question],
      tools: [WEATHER_TOOL],
      tool_choice: { type: 'auto' },
    });
    const events: string[] = [];
    stream.on('streamEvent', (event) => events.push(event.type));
    const message = await stream.finalMessage();
    expect(events).toEqual([
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(message.model).toBe(TOOL_MODEL);
    expect(message.stop_reason).toBe('tool_use');
    expect(message.usage).toMatchObject({ input_tokens: 393, output_tokens: 31 });
    const call = message.content.find((block) => block.type === 'tool_use');
    expect(call).toMatchObject({ type: 'tool_use', name: 'get_weather', input: { city: 'Paris' } });
    const sent = toolRequests().at(-1) as Record<string, unknown>;
    expect(sent.tools).toEqual([
      {
        type: 'function',
        function: { name: 'get_weather', description: WEATHER_TOOL.description, parameters: WEATHER_TOOL.input_schema },
      },
    ]);
    expect(sent.tool_choice).toBe('auto');
    expect(sent.messages).toEqual([
      { role: 'system', content: 'You are a helpful assistant.' },
      { role: 'user', content: question.content },
    ]);

    const toolUse = call as Anthropic.ToolUseBlock;
    const next = await anthropic.messages
      .stream({
        model: TOOL_MODEL,
        max_tokens: 64,
        tools: [WEATHER_TOOL],
        messages: [
          question,
          { role: 'assistant', content: message.content },
          {
            role: 'user',
            content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: '{"temperature_c":17}' }],
          },
        ],
      })
      .finalMessage();
    expect(next.stop_reason).toBe('end_turn');
    expect(next.content[0]).toMatchObject({ type: 'text' });
    expect((next.content[0] as Anthropic.TextBlock).text).toMatch(/^The capital of France/);
    expect((toolRequests().at(-1) as { messages: unknown[] }).messages).toEqual([
      { role: 'user', content: question.content },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: toolUse.id, type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
        ],
      },
      { role: 'tool', tool_call_id: toolUse.id, content: '{"temperature_c":17}' },
    ]);
    // LOG_PROMPTS is off: the conversation stays out of the server's log.
    expect(server.output()).not.toContain(question.content);
  });

  it('Anthropic messages, whole: tool_use content and stop_reason; a stop sequence ends the answer and is named', async () => {
    const whole = await anthropic.messages.create({
      model: TOOL_MODEL,
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [WEATHER_TOOL],
    });
    expect(whole.stop_reason).toBe('tool_use');
    expect(whole.content).toEqual([expect.objectContaining({ type: 'tool_use', input: { city: 'Paris' } })]);
    const stopped = await anthropic.messages.create({
      model: TOOL_MODEL,
      max_tokens: 64,
      stop_sequences: [' France'],
      messages: [{ role: 'user', content: 'Capital of France?' }],
    });
    expect(stopped.stop_reason).toBe('stop_sequence');
    expect(stopped.stop_sequence).toBe(' France');
    expect(stopped.content).toEqual([expect.objectContaining({ type: 'text', text: 'The capital of' })]);
  });

  it('Responses API, streamed and whole: a function_call output item with its argument events', async () => {
    const tools: OpenAI.Responses.FunctionTool[] = [
      { type: 'function', name: 'get_weather', parameters: WEATHER_TOOL.input_schema, strict: false },
    ];
    const stream = await openai.responses.create({
      model: TOOL_MODEL,
      input: 'What is the weather like in Paris right now?',
      instructions: 'You are a helpful assistant.',
      tools,
      stream: true,
    });
    const types: string[] = [];
    const sequence: number[] = [];
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      sequence.push(event.sequence_number);
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(sequence).toEqual(types.map((_, i) => i));
    expect(completed?.status).toBe('completed');
    expect(completed?.usage).toMatchObject({ input_tokens: 393, output_tokens: 31, total_tokens: 424 });
    const call = completed?.output[0] as OpenAI.Responses.ResponseFunctionToolCall;
    expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: '{"city": "Paris"}' });

    const whole = await openai.responses.create({
      model: TOOL_MODEL,
      input: [
        { role: 'user', content: 'What is the weather like in Paris right now?' },
        { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
        { type: 'function_call_output', call_id: call.call_id, output: '{"temperature_c":17}' },
      ],
      tools,
    });
    expect(whole.status).toBe('completed');
    expect(whole.output_text).toMatch(/^The capital of France/);
    expect(whole.usage?.total_tokens).toBeGreaterThan(0);
    expect((toolRequests().at(-1) as { messages: unknown[] }).messages).toEqual([
      { role: 'user', content: 'What is the weather like in Paris right now?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: call.call_id, type: 'function', function: { name: 'get_weather', arguments: call.arguments } },
        ],
      },
      { role: 'tool', tool_call_id: call.call_id, content: '{"temperature_c":17}' },
    ]);
  });

  it('reasoning comes back as a thinking block and as a reasoning item, streamed and whole', async () => {
    const question = [{ role: 'user' as const, content: 'Hello' }];
    const streamed = await anthropic.messages
      .stream({ model: REASONING_MODEL, max_tokens: 32, messages: question })
      .finalMessage();
    expect(streamed.content).toEqual([
      { type: 'thinking', thinking: 'The user greets me.', signature: '' },
      { type: 'text', text: 'Hello!', citations: null },
    ]);
    expect(streamed).toMatchObject({ stop_reason: 'end_turn', usage: { input_tokens: 7, output_tokens: 4 } });
    const { data: whole, response } = await anthropic.messages
      .create({ model: REASONING_MODEL, max_tokens: 32, messages: question })
      .withResponse();
    expect(whole.content.map((block) => block.type)).toEqual(['thinking', 'text']);
    expect(Number(response.headers.get('x-autobyteus-overhead-ms'))).toBeGreaterThanOrEqual(0);

    const stream = openai.responses.stream({ model: REASONING_MODEL, input: 'Hello' });
    const final = await stream.finalResponse();
    expect(final.output.map((item) => item.type)).toEqual(['reasoning', 'message']);
    expect(final.output[0]).toMatchObject({ content: [{ type: 'reasoning_text', text: 'The user greets me.' }] });
    expect(final.output_text).toBe('Hello!');
    const created = await openai.responses.create({ model: REASONING_MODEL, input: 'Hello' });
    expect(created.output_text).toBe('Hello!');
    expect(created.usage).toMatchObject({ input_tokens: 7, output_tokens: 4, total_tokens: 11 });
    // Counted like chat: four requests, four tokens each.
    const metrics = parseMetrics(await (await fetch(`${server.url}/metrics`)).text());
    const host = reasoningHost.url;
    expect(sampleValue(metrics, 'autobyteus_requests_total', { model: REASONING_MODEL, host, outcome: 'ok' })).toBe(4);
    expect(sampleValue(metrics, 'autobyteus_tokens_generated_total', { model: REASONING_MODEL, host })).toBe(16);
  });

  it('a client that hangs up mid-stream stops the engine', async () => {
    const stream = anthropic.messages.stream({
      model: SLOW_MODEL,
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Capital of France?' }],
    });
    const ended = stream.finalMessage().catch((e: unknown) => e);
    await new Promise<void>((resolve) => stream.once('text', () => resolve()));
    stream.abort();
    expect(await ended).toBeInstanceOf(Anthropic.APIUserAbortError);
    await vi.waitFor(() => expect(slowAborted).toBe(1), { timeout: 10_000, interval: 50 });
  });

  it('an engine stream cut mid-way ends with the same error event as every started stream', async () => {
    const stream = anthropic.messages.stream({
      model: CUT_MODELS[0] as string,
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Capital of France?' }],
    });
    let text = '';
    stream.on('text', (delta) => {
      text += delta;
    });
    const error = await stream.finalMessage().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    // A cut engine is a 502: Anthropic's type for it, and the request id the log has, as on a relayed stream.
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toEqual({
      type: 'error',
      error: { type: 'api_error', message: expect.stringContaining('mlx engine') },
      request_id: expect.stringMatching(/./),
    });
    // The stub sent two tokens before it cut the connection.
    expect(text).toBe('The capital');

    // The openai client raises on the nested `error` of the Responses `error` event.
    const types: string[] = [];
    const raised = await (async () => {
      for await (const event of await openai.responses.create({
        model: CUT_MODELS[1] as string,
        input: 'Hi',
        stream: true,
      })) {
        types.push(event.type);
      }
    })().catch((e: unknown) => e);
    expect(raised).toBeInstanceOf(OpenAI.APIError);
    expect((raised as Error).message).toContain('mlx engine');
    expect(types).toContain('response.output_text.delta');
    expect(types).not.toContain('response.completed');

    // On the wire: that `error` event, numbered in the stream, then `response.failed` with the same error.
    const response = await fetch(`${server.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: CUT_MODELS[2], input: 'Hi', stream: true }),
    });
    const events = parseSse(await response.text());
    expect(events.map((e) => e.event).slice(-2)).toEqual(['error', 'response.failed']);
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
    const [errorEvent, failedEvent] = events.slice(-2).map((e) => e.data);
    const { code, message } = errorEvent as { code: string; message: string };
    expect(message).toContain('mlx engine');
    expect(errorEvent).toMatchObject({
      type: 'error',
      code: expect.stringMatching(/^engine_/),
      param: null,
      error: { type: 'engine_error', code, message, param: null },
    });
    expect(failedEvent?.response).toMatchObject({ status: 'failed', error: { code, message } });
  });

  it('a body the translation cannot carry is refused in each API’s error shape, naming the field', async () => {
    const anthropicError = await anthropic.messages
      .create({
        model: TOOL_MODEL,
        max_tokens: 8,
        messages: [
          {
            role: 'user',
            content: [{ type: 'document', source: { type: 'text', media_type: 'text/plain', data: 'x' } }],
          },
        ],
      })
      .catch((e: unknown) => e);
    expect(anthropicError).toBeInstanceOf(Anthropic.BadRequestError);
    expect((anthropicError as InstanceType<typeof Anthropic.BadRequestError>).error).toMatchObject({
      type: 'error',
      error: { type: 'invalid_request_error', message: expect.stringContaining('messages.0.content.0') },
    });
    const openaiError = await openai.responses
      .create({ model: TOOL_MODEL, input: 'Hi', previous_response_id: 'resp_123' })
      .catch((e: unknown) => e);
    expect(openaiError).toBeInstanceOf(OpenAI.BadRequestError);
    expect((openaiError as Error).message).toContain('previous_response_id');
    const counted = await anthropic.messages
      .countTokens({ model: TOOL_MODEL, messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e: unknown) => e);
    expect(counted).toBeInstanceOf(Anthropic.BadRequestError);
    expect((counted as Error).message).toContain(
      '/v1/messages/count_tokens is not served by the engine of this model (MLX',
    );
  });
});
