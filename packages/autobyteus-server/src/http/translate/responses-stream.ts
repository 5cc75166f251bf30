import type { ToolCallDelta } from 'autobyteus';
import type { OpenAIErrorBody } from '../openai-error.js';
import { responsesErrorCode, streamErrorEvent } from '../stream-error-event.js';
import type { ResponsesBody } from './responses-request.js';
import { newId, type StreamEncoder, sseEvent, type TranslatedAnswer, type TranslatedChunk } from './translation.js';

type Item = Record<string, unknown> & { id: string; type: string };
type Status = 'in_progress' | 'completed' | 'incomplete' | 'failed';

function usageWire(inputTokens: number, outputTokens: number) {
  return {
    input_tokens: inputTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: outputTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: inputTokens + outputTokens,
  };
}

const textPart = (text: string) => ({ type: 'output_text', text, annotations: [], logprobs: [] });
const reasoningItem = (id: string, text: string, status: string): Item => ({
  id,
  type: 'reasoning',
  summary: [],
  content: [{ type: 'reasoning_text', text }],
  status,
});
const messageItem = (id: string, text: string, status: string): Item => ({
  id,
  type: 'message',
  role: 'assistant',
  status,
  content: [textPart(text)],
});
const functionItem = (id: string, callId: string, name: string, args: string, status: string): Item => ({
  id,
  type: 'function_call',
  call_id: callId,
  name,
  arguments: args,
  status,
});

/** A `response` object: what the request asked for, with `output`, `status`, usage and error as given. */
export function responseObject(
  model: string,
  body: ResponsesBody,
  state: {
    id: string;
    createdAt: number;
    status: Status;
    output: Item[];
    usage?: ReturnType<typeof usageWire>;
    error?: { code: string; message: string };
  },
): Record<string, unknown> {
  const text = state.output
    .filter((item) => item.type === 'message')
    .flatMap((item) => (item.content as Array<{ text: string }>).map((part) => part.text))
    .join('');
  return {
    id: state.id,
    object: 'response',
    created_at: state.createdAt,
    status: state.status,
    ...(state.status === 'completed' ? { completed_at: Math.floor(Date.now() / 1000) } : {}),
    error: state.error ?? null,
    incomplete_details: state.status === 'incomplete' ? { reason: 'max_output_tokens' } : null,
    instructions: body.instructions ?? null,
    metadata: body.metadata ?? null,
    model,
    output: state.output,
    output_text: text,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    temperature: body.temperature ?? null,
    tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [],
    top_p: body.top_p ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    previous_response_id: null,
    store: false,
    text: { format: body.text?.format ?? { type: 'text' } },
    truncation: 'disabled',
    usage: state.usage ?? null,
  };
}

/** A whole `response` for a non-streamed answer. */
export function responsesAnswer(model: string, body: ResponsesBody, answer: TranslatedAnswer): Record<string, unknown> {
  const status = answer.finishReason === 'length' ? 'incomplete' : 'completed';
  const output: Item[] = [];
  if (answer.reasoning) output.push(reasoningItem(newId('rs'), answer.reasoning, 'completed'));
  if (answer.content) output.push(messageItem(newId('msg'), answer.content, status));
  for (const call of answer.toolCalls) {
    output.push(functionItem(newId('fc'), call.id || newId('call'), call.name, call.arguments, 'completed'));
  }
  return responseObject(model, body, {
    id: newId('resp'),
    createdAt: Math.floor(Date.now() / 1000),
    status,
    output,
    usage: usageWire(answer.inputTokens, answer.outputTokens),
  });
}

type Open =
  | { kind: 'reasoning'; id: string; text: string }
  | { kind: 'message'; id: string; text: string }
  | { kind: 'function'; id: string; call: number; callId: string; name: string; args: string };

/**
 * The Responses API stream for a translated answer: `response.created` and `response.in_progress`,
 * then one output item at a time — reasoning (`reasoning_text` deltas), a message (`output_text`
 * deltas in one content part) or a function call (argument deltas) — each opened with
 * `output_item.added` and closed with its `.done` events, then `response.completed` (or
 * `response.incomplete` at the token limit). Every event carries its `sequence_number`.
 */
export class ResponsesStreamEncoder implements StreamEncoder {
  private readonly id = newId('resp');
  private readonly createdAt = Math.floor(Date.now() / 1000);
  private sequence = 0;
  private readonly output: Item[] = [];
  private open?: Open;
  private events = 0;

  constructor(
    private readonly model: string,
    private readonly body: ResponsesBody,
  ) {}

  start(): string {
    const response = this.snapshot('in_progress');
    return this.event('response.created', { response }) + this.event('response.in_progress', { response });
  }

  encode(chunk: TranslatedChunk): string {
    if (chunk.isComplete) return this.finish(chunk);
    this.events++;
    let out = '';
    if (chunk.reasoning) {
      if (this.open?.kind !== 'reasoning') out += this.begin({ kind: 'reasoning', id: newId('rs'), text: '' });
      const open = this.open as Open & { kind: 'reasoning' };
      open.text += chunk.reasoning;
      out += this.event('response.reasoning_text.delta', { ...this.at(), content_index: 0, delta: chunk.reasoning });
    }
    if (chunk.content) {
      if (this.open?.kind !== 'message') out += this.begin({ kind: 'message', id: newId('msg'), text: '' });
      const open = this.open as Open & { kind: 'message' };
      open.text += chunk.content;
      out += this.event('response.output_text.delta', {
        ...this.at(),
        content_index: 0,
        delta: chunk.content,
        logprobs: [],
      });
    }
    for (const call of chunk.toolCalls ?? []) out += this.toolDelta(call);
    return out;
  }

  /** The `error` event (numbered in this stream), then `response.failed` with the same code and message. */
  fail(body: OpenAIErrorBody, status: number): string {
    const error = { code: responsesErrorCode(body), message: body.error.message };
    return (
      streamErrorEvent('/v1/responses', body, status, this.sequence++) +
      this.event('response.failed', { response: this.snapshot('failed', { error }) })
    );
  }

  private toolDelta(call: ToolCallDelta): string {
    let out = '';
    if (this.open?.kind !== 'function' || this.open.call !== call.index) {
      out += this.begin({
        kind: 'function',
        id: newId('fc'),
        call: call.index,
        callId: call.id || newId('call'),
        name: call.name ?? '',
        args: '',
      });
    }
    const open = this.open as Open & { kind: 'function' };
    if (!call.argumentsDelta) return out;
    open.args += call.argumentsDelta;
    return out + this.event('response.function_call_arguments.delta', { ...this.at(), delta: call.argumentsDelta });
  }

  /** Closes the open item and opens `next`: `output_item.added`, and for text its content part. */
  private begin(next: Open): string {
    let out = this.close('completed');
    this.open = next;
    const index = this.output.length;
    if (next.kind === 'function') {
      const item = functionItem(next.id, next.callId, next.name, '', 'in_progress');
      return out + this.event('response.output_item.added', { output_index: index, item });
    }
    const item =
      next.kind === 'reasoning'
        ? { id: next.id, type: 'reasoning', summary: [], status: 'in_progress' }
        : { id: next.id, type: 'message', role: 'assistant', status: 'in_progress', content: [] };
    out += this.event('response.output_item.added', { output_index: index, item });
    const part = next.kind === 'reasoning' ? { type: 'reasoning_text', text: '' } : textPart('');
    return out + this.event('response.content_part.added', { ...this.at(), content_index: 0, part });
  }

  /** The `.done` events of the open item; it joins the output. */
  private close(status: 'completed' | 'incomplete'): string {
    const open = this.open;
    if (!open) return '';
    this.open = undefined;
    const where = { item_id: open.id, output_index: this.output.length };
    let out = '';
    let item: Item;
    if (open.kind === 'function') {
      out += this.event('response.function_call_arguments.done', { ...where, name: open.name, arguments: open.args });
      item = functionItem(open.id, open.callId, open.name, open.args, 'completed');
    } else if (open.kind === 'reasoning') {
      const part = { type: 'reasoning_text', text: open.text };
      out += this.event('response.reasoning_text.done', { ...where, content_index: 0, text: open.text });
      out += this.event('response.content_part.done', { ...where, content_index: 0, part });
      item = reasoningItem(open.id, open.text, 'completed');
    } else {
      out += this.event('response.output_text.done', { ...where, content_index: 0, text: open.text, logprobs: [] });
      out += this.event('response.content_part.done', { ...where, content_index: 0, part: textPart(open.text) });
      item = messageItem(open.id, open.text, status);
    }
    out += this.event('response.output_item.done', { output_index: where.output_index, item });
    this.output.push(item);
    return out;
  }

  private finish(chunk: TranslatedChunk): string {
    const incomplete = chunk.finishReason === 'length';
    const out = this.close(incomplete ? 'incomplete' : 'completed');
    const usage = usageWire(chunk.usage?.promptTokens ?? 0, chunk.usage?.completionTokens ?? this.events);
    const response = this.snapshot(incomplete ? 'incomplete' : 'completed', { usage });
    return out + this.event(incomplete ? 'response.incomplete' : 'response.completed', { response });
  }

  /** Where the open item is: its id and output index. */
  private at() {
    return { item_id: this.open?.id ?? '', output_index: this.output.length };
  }

  private snapshot(
    status: Status,
    extra: { usage?: ReturnType<typeof usageWire>; error?: { code: string; message: string } } = {},
  ) {
    return responseObject(this.model, this.body, {
      id: this.id,
      createdAt: this.createdAt,
      status,
      output: [...this.output],
      ...extra,
    });
  }

  private event(type: string, fields: Record<string, unknown>): string {
    return sseEvent(type, { type, ...fields, sequence_number: this.sequence++ });
  }
}
