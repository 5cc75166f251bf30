import { describe, expect, it } from 'vitest';
import { openAIError, withRequestId } from '../../../src/http/openai-error.js';
import { streamErrorEvent } from '../../../src/http/stream-error-event.js';
import { responsesSchema, responsesToChat } from '../../../src/http/translate/responses-request.js';
import { ResponsesStreamEncoder, responsesAnswer } from '../../../src/http/translate/responses-stream.js';
import { UntranslatableInput } from '../../../src/http/translate/translation.js';
import { parseSse } from './sse-events.js';

const parse = (body: unknown) => responsesSchema.parse(body);

describe('Responses request → chat completions', () => {
  it('maps a string input with instructions, sampling, tools, tool_choice and a JSON schema format', () => {
    const { chat, stopSequences } = responsesToChat(
      parse({
        model: 'm',
        input: 'Hi',
        instructions: 'Be brief.',
        max_output_tokens: 50,
        temperature: 0.5,
        top_p: 0.8,
        parallel_tool_calls: false,
        tools: [{ type: 'function', name: 'f', description: 'does f', parameters: { type: 'object' }, strict: true }],
        tool_choice: { type: 'function', name: 'f' },
        text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true } },
        store: false,
        reasoning: { effort: 'low' },
      }),
    );
    expect(chat).toEqual({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
      ],
      max_tokens: 50,
      temperature: 0.5,
      top_p: 0.8,
      parallel_tool_calls: false,
      tools: [
        {
          type: 'function',
          function: { name: 'f', description: 'does f', parameters: { type: 'object' }, strict: true },
        },
      ],
      tool_choice: { type: 'function', function: { name: 'f' } },
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
    });
    expect(stopSequences).toEqual([]);
  });

  it('maps message items (easy and typed), images, and function calls joined to their assistant turn', () => {
    const { chat } = responsesToChat(
      parse({
        model: 'm',
        input: [
          { role: 'developer', content: 'Rules.' },
          {
            type: 'message',
            role: 'user',
            content: [
              { type: 'input_text', text: 'What is this?' },
              { type: 'input_image', image_url: 'data:image/png;base64,AAAA', detail: 'low' },
            ],
          },
          {
            type: 'message',
            role: 'assistant',
            content: [{ type: 'output_text', text: 'Checking.', annotations: [] }],
          },
          { type: 'reasoning', id: 'rs_1', summary: [] },
          { type: 'function_call', call_id: 'c1', name: 'look', arguments: '{"a":1}' },
          { type: 'function_call', call_id: 'c2', name: 'look', arguments: '{"a":2}' },
          { type: 'function_call_output', call_id: 'c1', output: 'one' },
          { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'two' }] },
        ],
      }),
    );
    expect(chat.messages).toEqual([
      { role: 'system', content: 'Rules.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA', detail: 'low' } },
        ],
      },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'look', arguments: '{"a":1}' } },
          { id: 'c2', type: 'function', function: { name: 'look', arguments: '{"a":2}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'one' },
      { role: 'tool', tool_call_id: 'c2', content: 'two' },
    ]);
  });

  it('refuses stored state, file images and built-in tools by name', () => {
    expect(() => responsesToChat(parse({ model: 'm', input: 'x', previous_response_id: 'resp_1' }))).toThrow(
      'previous_response_id: the gateway keeps no responses',
    );
    expect(() =>
      responsesToChat(
        parse({
          model: 'm',
          input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file_1', detail: 'auto' }] }],
        }),
      ),
    ).toThrow(UntranslatableInput);
    expect(responsesSchema.safeParse({ model: 'm', input: 'x', tools: [{ type: 'web_search' }] }).success).toBe(false);
    expect(responsesSchema.safeParse({ model: 'm', input: [{ type: 'item_reference', id: 'x' }] }).success).toBe(false);
  });
});

describe('Responses answers', () => {
  const body = parse({ model: 'm', input: 'x', max_output_tokens: 9 });

  it('builds a whole response: reasoning, message and function_call items, usage, incomplete at the limit', () => {
    const whole = responsesAnswer('m', body, {
      content: 'Hello',
      reasoning: 'Think',
      toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }],
      finishReason: 'stop',
      inputTokens: 4,
      outputTokens: 6,
    });
    expect(whole).toMatchObject({
      object: 'response',
      status: 'completed',
      model: 'm',
      output_text: 'Hello',
      max_output_tokens: 9,
      error: null,
      incomplete_details: null,
      output: [
        { type: 'reasoning', content: [{ type: 'reasoning_text', text: 'Think' }], summary: [] },
        { type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hello' }] },
        { type: 'function_call', call_id: 'c1', name: 'f', arguments: '{}', status: 'completed' },
      ],
      usage: { input_tokens: 4, output_tokens: 6, total_tokens: 10 },
    });
    const cut = responsesAnswer('m', body, {
      ...whole,
      content: 'Hel',
      reasoning: '',
      toolCalls: [],
      finishReason: 'length',
    } as never);
    expect(cut).toMatchObject({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
  });

  it('streams each output item with its added/delta/done events and numbered events', () => {
    const encoder = new ResponsesStreamEncoder('m', body);
    const text =
      encoder.start() +
      encoder.encode({ isComplete: false, reasoning: 'Think' }) +
      encoder.encode({ isComplete: false, content: 'He' }) +
      encoder.encode({ isComplete: false, content: 'llo' }) +
      encoder.encode({ isComplete: false, toolCalls: [{ index: 0, id: 'c1', name: 'f', argumentsDelta: '{"a"' }] }) +
      encoder.encode({ isComplete: false, toolCalls: [{ index: 0, argumentsDelta: ':1}' }] }) +
      encoder.encode({
        isComplete: true,
        finishReason: 'tool_calls',
        usage: { promptTokens: 3, completionTokens: 5, totalTokens: 8 },
      });
    const events = parseSse(text);
    expect(events.map((e) => e.data.sequence_number)).toEqual(events.map((_, i) => i));
    for (const { event, data } of events) expect(data.type).toBe(event);
    expect(events.map((e) => [e.event, e.data.output_index ?? null])).toEqual([
      ['response.created', null],
      ['response.in_progress', null],
      ['response.output_item.added', 0],
      ['response.content_part.added', 0],
      ['response.reasoning_text.delta', 0],
      ['response.reasoning_text.done', 0],
      ['response.content_part.done', 0],
      ['response.output_item.done', 0],
      ['response.output_item.added', 1],
      ['response.content_part.added', 1],
      ['response.output_text.delta', 1],
      ['response.output_text.delta', 1],
      ['response.output_text.done', 1],
      ['response.content_part.done', 1],
      ['response.output_item.done', 1],
      ['response.output_item.added', 2],
      ['response.function_call_arguments.delta', 2],
      ['response.function_call_arguments.delta', 2],
      ['response.function_call_arguments.done', 2],
      ['response.output_item.done', 2],
      ['response.completed', null],
    ]);
    expect(events[12]?.data).toMatchObject({ text: 'Hello', content_index: 0 });
    expect(events[18]?.data).toMatchObject({ name: 'f', arguments: '{"a":1}' });
    const final = events.at(-1)?.data.response as Record<string, unknown>;
    expect(final).toMatchObject({
      status: 'completed',
      output_text: 'Hello',
      usage: { input_tokens: 3, output_tokens: 5, total_tokens: 8 },
    });
    expect((final.output as Array<{ type: string }>).map((item) => item.type)).toEqual([
      'reasoning',
      'message',
      'function_call',
    ]);
    expect(events[0]?.data.response).toMatchObject({ status: 'in_progress' });
  });

  it('ends with response.incomplete at the token limit, and with error + response.failed when the engine breaks', () => {
    const encoder = new ResponsesStreamEncoder('m', body);
    encoder.start();
    encoder.encode({ isComplete: false, content: 'Hel' });
    const end = parseSse(encoder.encode({ isComplete: true, finishReason: 'length' }));
    expect(end.map((e) => e.event)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.incomplete',
    ]);
    expect(end[2]?.data.item).toMatchObject({ status: 'incomplete' });
    expect(end[3]?.data.response).toMatchObject({ status: 'incomplete', usage: { output_tokens: 1 } });

    const broken = new ResponsesStreamEncoder('m', body);
    broken.start();
    broken.encode({ isComplete: false, content: 'Hel' });
    const message = 'mlx engine: stream ended before [DONE]';
    const cut = withRequestId(openAIError(message, 'engine_error', 'engine_stream_interrupted'), 'req-7');
    const failed = parseSse(broken.fail(cut, 502));
    expect(failed.map((e) => e.event)).toEqual(['error', 'response.failed']);
    // The table's error event, numbered after the five events before it (created, in_progress, the
    // message's added item and part, one delta); response.failed takes the next number.
    expect(failed[0]?.data).toEqual({
      type: 'error',
      code: 'engine_stream_interrupted',
      message,
      param: null,
      sequence_number: 5,
      error: { type: 'engine_error', code: 'engine_stream_interrupted', message, param: null },
    });
    expect(broken.fail(cut, 502).startsWith(streamErrorEvent('/v1/responses', cut, 502, 7))).toBe(true);
    expect(failed[1]?.data.sequence_number).toBe(6);
    expect(failed[1]?.data.response).toMatchObject({
      status: 'failed',
      error: { code: 'engine_stream_interrupted', message },
    });
  });
});
