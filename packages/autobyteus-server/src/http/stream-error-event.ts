import type { ForwardedEndpoint } from 'autobyteus';
import { z } from 'zod';
import { anthropicErrorType } from './anthropic-error.js';
import type { OpenAIErrorBody } from './openai-error.js';
import { sseEvent } from './translate/translation.js';
import { printable } from './untrusted-text.js';

/**
 * Writes the gateway's error (its OpenAI-style body and the status it would have sent) as one SSE
 * event; `sequence` is the event's place in a stream whose events are numbered (Responses).
 */
type StreamErrorEncoder = (body: OpenAIErrorBody, status: number, sequence: number) => string;

/** The Responses error `code` for the gateway's error: its code, else its type (Responses has no null code). */
export function responsesErrorCode(body: OpenAIErrorBody): string {
  return body.error.code ?? body.error.type;
}

/** llama-server's shape: a data line with the error body; the `openai` client raises on `data.error`. */
const openAIEvent: StreamErrorEncoder = (body) => `data: ${JSON.stringify(body)}\n\n`;

/**
 * How each endpoint's clients read an error on a stream whose 200 already went out (a model load kept
 * the client waiting, or the engine's own stream broke). Endpoints not listed (chat completions,
 * completions) get the OpenAI shape.
 */
const STREAM_ERROR_ENCODERS: Partial<Record<ForwardedEndpoint, StreamErrorEncoder>> = {
  // Anthropic's clients skip events without an `event:` line and raise on `event: error`.
  '/v1/messages': (body, status) =>
    sseEvent('error', {
      type: 'error',
      error: { type: anthropicErrorType(status), message: body.error.message },
      ...(body.error.request_id ? { request_id: body.error.request_id } : {}),
    }),
  // The Responses `error` event: code, message and param on the event, as its reference and SDK types
  // have them, and under `error` too, as the API sends them, which is what the openai clients raise on.
  '/v1/responses': (body, _status, sequence) => {
    const code = responsesErrorCode(body);
    return sseEvent('error', {
      type: 'error',
      code,
      message: body.error.message,
      param: body.error.param,
      sequence_number: sequence,
      error: { type: body.error.type, code, message: body.error.message, param: body.error.param },
    });
  },
};

/**
 * The event that ends an already started SSE response of `endpoint` (undefined: chat completions)
 * with the gateway's error, in the shape that endpoint's clients parse. `sequenceNumber` is the
 * Responses event's `sequence_number`: 0 on a stream with no numbered events before it (a load's
 * keep-alive, a relayed engine stream), the next number on a stream the gateway encodes itself.
 */
export function streamErrorEvent(
  endpoint: ForwardedEndpoint | undefined,
  body: OpenAIErrorBody,
  status: number,
  sequenceNumber = 0,
): string {
  return ((endpoint && STREAM_ERROR_ENCODERS[endpoint]) || openAIEvent)(body, status, sequenceNumber);
}

/** An engine's error answer: OpenAI's and Anthropic's `{"error":{"message",...}}`, or `{"error":"..."}`. */
const engineErrorSchema = z.object({
  error: z.union([
    z.string(),
    z
      .object({
        message: z.string(),
        type: z.string().optional(),
        code: z.union([z.string(), z.number()]).nullish(),
      })
      .passthrough(),
  ]),
});

/**
 * An engine's 4xx body (its own wording, as the client gets it when no stream was started) as the
 * gateway's error body, for {@link streamErrorEvent}; a body in no known shape becomes the message.
 */
export function engineErrorBody(text: string): OpenAIErrorBody {
  let parsed: z.infer<typeof engineErrorSchema> | undefined;
  try {
    parsed = engineErrorSchema.safeParse(JSON.parse(text)).data;
  } catch {
    // Not JSON: the text itself is the message.
  }
  const error = parsed?.error;
  if (error === undefined || typeof error === 'string') {
    return {
      error: { message: error ?? printable(text, 2000), type: 'invalid_request_error', param: null, code: null },
    };
  }
  const code = error.code === undefined || error.code === null ? null : String(error.code);
  return { error: { message: error.message, type: error.type ?? 'invalid_request_error', param: null, code } };
}
