import { randomBytes } from 'node:crypto';
import type { ChatStreamChunk, ToolCall } from 'autobyteus';
import type { z } from 'zod';
import type { OpenAIErrorBody } from '../openai-error.js';

/**
 * A chunk of the engine's answer on its way to a translated client: the library's normalised chunk,
 * plus the stop sequence that ended it when the gateway applied the client's stop sequences itself
 * (then `finishReason` is `stop_sequence`).
 */
export type TranslatedChunk = ChatStreamChunk & { stopSequence?: string };

/** A whole answer, gathered from the chunks, for a client that did not ask for a stream. */
export interface TranslatedAnswer {
  content: string;
  reasoning: string;
  toolCalls: ToolCall[];
  /** The engine's finish reason (`stop`, `length`, `tool_calls`), or `stop_sequence`. */
  finishReason: string;
  stopSequence?: string;
  inputTokens: number;
  outputTokens: number;
}

/** Turns a translated answer, chunk by chunk, into the client API's SSE events. */
export interface StreamEncoder {
  /** The events that open the stream (before the first chunk). */
  start(): string;
  /** The events for one chunk; the complete chunk gets the closing events. */
  encode(chunk: TranslatedChunk): string;
  /**
   * The events that end a started stream with the gateway's error (its body and the status it would
   * have sent had nothing gone out yet): the engine broke mid-way, or the request was refused after
   * a load's 200. The error event is `streamErrorEvent`'s, as on every other started stream.
   */
  fail(body: OpenAIErrorBody, status: number): string;
}

/** The chat-completions request a translated body becomes. */
export interface ChatTranslation {
  /** An OpenAI chat body without `model` and `stream` (the gateway sets those). */
  chat: Record<string, unknown>;
  /** Stop sequences the gateway applies to the answer itself, to report which one ended it. */
  stopSequences: string[];
}

/** One client API answered over chat completions: its request schema, mapping, and answer encoders. */
export interface Translation<B extends { model: string; stream?: boolean | null | undefined }> {
  schema: z.ZodType<B>;
  /** Throws {@link UntranslatableInput} for what chat completions cannot express. */
  toChat(body: B): ChatTranslation;
  whole(model: string, body: B, answer: TranslatedAnswer): Record<string, unknown>;
  stream(model: string, body: B): StreamEncoder;
}

/** A request field the translation cannot carry to chat completions (a 400 naming it). */
export class UntranslatableInput extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(`${param}: ${message}`);
    this.name = 'UntranslatableInput';
  }
}

/** An id in the style of the client API (`msg_…`, `resp_…`, `toolu_…`). */
export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(12).toString('hex')}`;
}

/** One server-sent event with its `event:` line (Anthropic's clients skip events without one). */
export function sseEvent(type: string, data: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Text parts joined; what a chat message's string content is made of. */
export function joinText(parts: readonly string[]): string {
  return parts.join('\n');
}

type Issue = { path: PropertyKey[]; message: string; code?: string; errors?: Issue[][] };

/**
 * The most telling problem of a failed parse, as `path: message`: inside a union (string or
 * blocks), the branch that got furthest, so a bad block type is named rather than "Invalid input".
 */
export function describeIssue(issues: readonly Issue[], base: PropertyKey[] = []): { param: string; message: string } {
  const issue = issues[0];
  if (!issue) return { param: base.join('.') || 'body', message: 'invalid' };
  const path = [...base, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors?.length) {
    const depth = (branch: Issue[]) => branch[0]?.path.length ?? -1;
    const best = issue.errors.reduce((a, b) => (depth(b) > depth(a) ? b : a));
    if (best.length && depth(best) > 0) return describeIssue(best, path);
  }
  return { param: path.join('.') || 'body', message: issue.message };
}
