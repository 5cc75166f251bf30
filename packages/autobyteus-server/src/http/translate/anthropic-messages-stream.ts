import type { ToolCallDelta } from 'autobyteus';
import type { OpenAIErrorBody } from '../openai-error.js';
import { streamErrorEvent } from '../stream-error-event.js';
import { newId, type StreamEncoder, sseEvent, type TranslatedAnswer, type TranslatedChunk } from './translation.js';

/** Anthropic's stop reason for a chat finish reason (`stop_sequence` is the gateway's own). */
export function anthropicStopReason(finishReason: string | undefined, hasToolCalls: boolean): string {
  if (finishReason === 'stop_sequence') return 'stop_sequence';
  if (finishReason === 'length') return 'max_tokens';
  if (finishReason === 'tool_calls' || hasToolCalls) return 'tool_use';
  return 'end_turn';
}

/** A tool call's JSON arguments as the `input` object; what is not a JSON object becomes `{}`. */
export function toolInput(args: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(args);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** Usage with the fields Anthropic's `Usage` has; the engines report no cache counts. */
function usage(inputTokens: number, outputTokens: number) {
  return {
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    cache_creation_input_tokens: null,
    cache_read_input_tokens: null,
  };
}

/** A whole Anthropic `message` for a non-streamed answer. */
export function anthropicMessage(model: string, answer: TranslatedAnswer): Record<string, unknown> {
  const content: unknown[] = [];
  if (answer.reasoning) content.push({ type: 'thinking', thinking: answer.reasoning, signature: '' });
  if (answer.content) content.push({ type: 'text', text: answer.content, citations: null });
  for (const call of answer.toolCalls) {
    content.push({
      type: 'tool_use',
      id: call.id || newId('toolu'),
      name: call.name,
      input: toolInput(call.arguments),
    });
  }
  return {
    id: newId('msg'),
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: anthropicStopReason(answer.finishReason, answer.toolCalls.length > 0),
    stop_sequence: answer.stopSequence ?? null,
    usage: usage(answer.inputTokens, answer.outputTokens),
  };
}

type OpenBlock = { kind: 'text' } | { kind: 'thinking' } | { kind: 'tool'; call: number };

/**
 * Anthropic's stream for a translated answer: `message_start`, then one content block at a time
 * (`content_block_start`, deltas — `thinking_delta`, `text_delta`, `input_json_delta` — and
 * `content_block_stop`), then `message_delta` with the stop reason and usage, and `message_stop`.
 * A new kind of piece (reasoning, text, another tool call) closes the block before it.
 */
export class AnthropicStreamEncoder implements StreamEncoder {
  private readonly id = newId('msg');
  private index = -1;
  private open?: OpenBlock;
  private sawToolCall = false;
  private events = 0;

  constructor(private readonly model: string) {}

  start(): string {
    return sseEvent('message_start', {
      type: 'message_start',
      message: {
        id: this.id,
        type: 'message',
        role: 'assistant',
        model: this.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: usage(0, 0),
      },
    });
  }

  encode(chunk: TranslatedChunk): string {
    if (chunk.isComplete) return this.finish(chunk);
    this.events++;
    let out = '';
    if (chunk.reasoning) {
      out += this.ensure({ kind: 'thinking' });
      out += this.delta({ type: 'thinking_delta', thinking: chunk.reasoning });
    }
    if (chunk.content) {
      out += this.ensure({ kind: 'text' });
      out += this.delta({ type: 'text_delta', text: chunk.content });
    }
    for (const call of chunk.toolCalls ?? []) out += this.toolDelta(call);
    return out;
  }

  fail(body: OpenAIErrorBody, status: number): string {
    return streamErrorEvent('/v1/messages', body, status);
  }

  private toolDelta(call: ToolCallDelta): string {
    let out = '';
    if (this.open?.kind !== 'tool' || this.open.call !== call.index) {
      out += this.close();
      this.index++;
      this.open = { kind: 'tool', call: call.index };
      this.sawToolCall = true;
      out += sseEvent('content_block_start', {
        type: 'content_block_start',
        index: this.index,
        content_block: { type: 'tool_use', id: call.id || newId('toolu'), name: call.name ?? '', input: {} },
      });
    }
    if (call.argumentsDelta) out += this.delta({ type: 'input_json_delta', partial_json: call.argumentsDelta });
    return out;
  }

  private ensure(block: { kind: 'text' } | { kind: 'thinking' }): string {
    if (this.open?.kind === block.kind) return '';
    const out = this.close();
    this.index++;
    this.open = block;
    const content_block =
      block.kind === 'text'
        ? { type: 'text', text: '', citations: null }
        : { type: 'thinking', thinking: '', signature: '' };
    return out + sseEvent('content_block_start', { type: 'content_block_start', index: this.index, content_block });
  }

  private delta(delta: Record<string, unknown>): string {
    return sseEvent('content_block_delta', { type: 'content_block_delta', index: this.index, delta });
  }

  private close(): string {
    if (!this.open) return '';
    this.open = undefined;
    return sseEvent('content_block_stop', { type: 'content_block_stop', index: this.index });
  }

  private finish(chunk: TranslatedChunk): string {
    const hasToolCalls = this.sawToolCall || (chunk.completeToolCalls?.length ?? 0) > 0;
    return (
      this.close() +
      sseEvent('message_delta', {
        type: 'message_delta',
        delta: {
          stop_reason: anthropicStopReason(chunk.finishReason, hasToolCalls),
          stop_sequence: chunk.stopSequence ?? null,
          stop_details: null,
        },
        usage: {
          input_tokens: chunk.usage?.promptTokens ?? 0,
          output_tokens: chunk.usage?.completionTokens ?? this.events,
        },
      }) +
      sseEvent('message_stop', { type: 'message_stop' })
    );
  }
}
