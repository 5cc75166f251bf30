import { describe, expect, it } from 'vitest';
import { openAIError, withRequestId } from '../../../src/http/openai-error.js';
import { streamErrorEvent } from '../../../src/http/stream-error-event.js';
import { anthropicMessagesSchema, anthropicToChat } from '../../../src/http/translate/anthropic-messages-request.js';
import {
  AnthropicStreamEncoder,
  anthropicMessage,
  anthropicStopReason,
} from '../../../src/http/translate/anthropic-messages-stream.js';
import { describeIssue, UntranslatableInput } from '../../../src/http/translate/translation.js';
import { parseSse } from './sse-events.js';

const parse = (body: unknown) => anthropicMessagesSchema.parse(body);

describe('Anthropic Messages request → chat completions', () => {
  it('maps system, sampling, stop sequences, tools and tool_choice', () => {
    const { chat, stopSequences } = anthropicToChat(
      parse({
        model: 'm',
        max_tokens: 100,
        system: [
          { type: 'text', text: 'Be brief.', cache_control: { type: 'ephemeral' } },
          { type: 'text', text: 'Be kind.' },
        ],
        messages: [{ role: 'user', content: 'Hi' }],
        temperature: 0.2,
        top_p: 0.9,
        top_k: 40,
        stop_sequences: ['\n\nHuman:'],
        tools: [{ name: 'f', description: 'does f', input_schema: { type: 'object', properties: {} } }],
        tool_choice: { type: 'tool', name: 'f', disable_parallel_tool_use: true },
        metadata: { user_id: 'u' },
      }),
    );
    expect(chat).toEqual({
      messages: [
        { role: 'system', content: 'Be brief.\nBe kind.' },
        { role: 'user', content: 'Hi' },
      ],
      max_tokens: 100,
      temperature: 0.2,
      top_p: 0.9,
      top_k: 40,
      tools: [
        {
          type: 'function',
          function: { name: 'f', description: 'does f', parameters: { type: 'object', properties: {} } },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'f' } },
      parallel_tool_calls: false,
    });
    expect(stopSequences).toEqual(['\n\nHuman:']);
    const choice = (type: string) =>
      anthropicToChat(
        parse({ model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 'x' }], tool_choice: { type } }),
      ).chat.tool_choice;
    expect([choice('auto'), choice('any'), choice('none')]).toEqual(['auto', 'required', 'none']);
  });

  it('puts tool results right after the calls, then the rest of the user turn; images as image_url parts', () => {
    const { chat } = anthropicToChat(
      parse({
        model: 'm',
        max_tokens: 10,
        messages: [
          { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'call it', signature: 's' },
              { type: 'text', text: 'Checking.' },
              { type: 'tool_use', id: 't1', name: 'weather', input: { city: 'Oslo' } },
              { type: 'tool_use', id: 't2', name: 'weather', input: { city: 'Rome' } },
            ],
          },
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Also this picture:' },
              { type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: '3 C' }] },
              { type: 'tool_result', tool_use_id: 't2', content: 'timeout', is_error: true },
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } },
              { type: 'image', source: { type: 'url', url: 'https://example.com/a.jpg' } },
            ],
          },
        ],
      }),
    );
    expect(chat.messages).toEqual([
      { role: 'user', content: 'Weather?' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 't1', type: 'function', function: { name: 'weather', arguments: '{"city":"Oslo"}' } },
          { id: 't2', type: 'function', function: { name: 'weather', arguments: '{"city":"Rome"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 't1', content: '3 C' },
      { role: 'tool', tool_call_id: 't2', content: 'Error: timeout' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Also this picture:' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } },
          { type: 'image_url', image_url: { url: 'https://example.com/a.jpg' } },
        ],
      },
    ]);
  });

  it('refuses what chat completions cannot carry, naming where', () => {
    const misplaced = parse({
      model: 'm',
      max_tokens: 1,
      messages: [{ role: 'user', content: [{ type: 'tool_use', id: 'x', name: 'f', input: {} }] }],
    });
    expect(() => anthropicToChat(misplaced)).toThrow(UntranslatableInput);
    expect(() => anthropicToChat(misplaced)).toThrow(
      'messages.0.content.0: tool_use blocks belong in assistant messages',
    );
    const unknownBlock = anthropicMessagesSchema.safeParse({
      model: 'm',
      max_tokens: 1,
      messages: [{ role: 'user', content: [{ type: 'document', source: {} }] }],
    });
    expect(unknownBlock.success).toBe(false);
    expect(describeIssue(unknownBlock.error?.issues as never).param).toBe('messages.0.content.0.type');
    const serverTool = anthropicMessagesSchema.safeParse({
      model: 'm',
      max_tokens: 1,
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ type: 'web_search_20250305', name: 'web_search' }],
    });
    expect(serverTool.success).toBe(false);
  });
});

describe('Anthropic answers', () => {
  it('maps finish reasons to stop reasons', () => {
    expect(anthropicStopReason('stop', false)).toBe('end_turn');
    expect(anthropicStopReason('length', true)).toBe('max_tokens');
    expect(anthropicStopReason('tool_calls', false)).toBe('tool_use');
    expect(anthropicStopReason('stop', true)).toBe('tool_use');
    expect(anthropicStopReason('stop_sequence', false)).toBe('stop_sequence');
  });

  it('builds a whole message: thinking, text, tool_use with parsed input, usage', () => {
    const message = anthropicMessage('m', {
      content: 'Let me check.',
      reasoning: 'The user wants weather.',
      toolCalls: [
        { id: 'c1', name: 'weather', arguments: '{"city":"Oslo"}' },
        { id: 'c2', name: 'weather', arguments: 'not json' },
      ],
      finishReason: 'tool_calls',
      inputTokens: 12,
      outputTokens: 7,
    });
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'm',
      content: [
        { type: 'thinking', thinking: 'The user wants weather.', signature: '' },
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_use', id: 'c1', name: 'weather', input: { city: 'Oslo' } },
        { type: 'tool_use', id: 'c2', name: 'weather', input: {} },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 7 },
    });
    expect(String(message.id)).toMatch(/^msg_/);
  });

  it('streams one block at a time: thinking, text, then each tool call with its JSON deltas', () => {
    const encoder = new AnthropicStreamEncoder('m');
    const text =
      encoder.start() +
      encoder.encode({ isComplete: false, reasoning: 'Hmm' }) +
      encoder.encode({ isComplete: false, reasoning: '.' }) +
      encoder.encode({ isComplete: false, content: 'Sure' }) +
      encoder.encode({ isComplete: false, toolCalls: [{ index: 0, id: 'a', name: 'f', argumentsDelta: '{"x"' }] }) +
      encoder.encode({ isComplete: false, toolCalls: [{ index: 0, argumentsDelta: ':1}' }] }) +
      encoder.encode({ isComplete: false, toolCalls: [{ index: 1, name: 'g', argumentsDelta: '{}' }] }) +
      encoder.encode({
        isComplete: true,
        finishReason: 'tool_calls',
        usage: { promptTokens: 5, completionTokens: 9, totalTokens: 14 },
      });
    const events = parseSse(text);
    for (const { event, data } of events) expect(data.type).toBe(event);
    expect(
      events.map((e) => [e.event, e.data.index ?? null, (e.data.delta as { type?: string })?.type ?? null]),
    ).toEqual([
      ['message_start', null, null],
      ['content_block_start', 0, null],
      ['content_block_delta', 0, 'thinking_delta'],
      ['content_block_delta', 0, 'thinking_delta'],
      ['content_block_stop', 0, null],
      ['content_block_start', 1, null],
      ['content_block_delta', 1, 'text_delta'],
      ['content_block_stop', 1, null],
      ['content_block_start', 2, null],
      ['content_block_delta', 2, 'input_json_delta'],
      ['content_block_delta', 2, 'input_json_delta'],
      ['content_block_stop', 2, null],
      ['content_block_start', 3, null],
      ['content_block_delta', 3, 'input_json_delta'],
      ['content_block_stop', 3, null],
      ['message_delta', null, null],
      ['message_stop', null, null],
    ]);
    expect(events[8]?.data.content_block).toEqual({ type: 'tool_use', id: 'a', name: 'f', input: {} });
    expect(events[12]?.data.content_block).toMatchObject({ id: expect.stringMatching(/^toolu_/) });
    expect(events[15]?.data).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null, stop_details: null },
      usage: { input_tokens: 5, output_tokens: 9 },
    });
  });

  it('reports the stop sequence, counts events when the engine sent no usage, and fails with an error event', () => {
    const encoder = new AnthropicStreamEncoder('m');
    encoder.start();
    encoder.encode({ isComplete: false, content: 'a' });
    encoder.encode({ isComplete: false, content: 'b' });
    const end = parseSse(encoder.encode({ isComplete: true, finishReason: 'stop_sequence', stopSequence: '##' }));
    expect(end.map((e) => e.event)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(end[1]?.data).toMatchObject({
      delta: { stop_reason: 'stop_sequence', stop_sequence: '##' },
      usage: { output_tokens: 2 },
    });
  });

  it('fails with the table’s `event: error`: the type from the status, and the request id', () => {
    const died = withRequestId(openAIError('mlx engine: died', 'engine_error', 'engine_connection'), 'req-7');
    const cases = [
      [502, 'api_error'],
      [504, 'timeout_error'],
      [400, 'invalid_request_error'],
    ] as const;
    for (const [status, type] of cases) {
      const encoder = new AnthropicStreamEncoder('m');
      encoder.start();
      encoder.encode({ isComplete: false, content: 'a' });
      expect(parseSse(encoder.fail(died, status))).toEqual([
        { event: 'error', data: { type: 'error', error: { type, message: 'mlx engine: died' }, request_id: 'req-7' } },
      ]);
      expect(encoder.fail(died, status)).toBe(streamErrorEvent('/v1/messages', died, status));
    }
  });
});
