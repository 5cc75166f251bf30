import { describe, expect, it } from 'vitest';
import { openAIError, withRequestId } from '../../src/http/openai-error.js';
import { engineErrorBody, streamErrorEvent } from '../../src/http/stream-error-event.js';

const body = withRequestId(
  openAIError('Could not load "m": out of memory', 'server_error', 'model_load_failed', 'model'),
  'req-1',
);

/** The `event:` name (null when the event has none) and the parsed data of one SSE event. */
function parse(text: string): { event: string | null; data: Record<string, unknown> } {
  expect(text.endsWith('\n\n')).toBe(true);
  const lines = text.trimEnd().split('\n');
  const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? null;
  const data = lines.find((l) => l.startsWith('data: '))?.slice(6) ?? '{}';
  return { event, data: JSON.parse(data) };
}

describe('streamErrorEvent: the error on a started stream, by endpoint', () => {
  it('chat completions and completions: the OpenAI data line, no event name', () => {
    for (const endpoint of [undefined, '/v1/completions'] as const) {
      expect(parse(streamErrorEvent(endpoint, body, 500))).toEqual({ event: null, data: body });
    }
  });

  it('/v1/messages: Anthropic `event: error` with the type for the status', () => {
    const cases = [
      [500, 'api_error'],
      [503, 'overloaded_error'],
      [504, 'timeout_error'],
      [400, 'invalid_request_error'],
      [429, 'rate_limit_error'],
    ] as const;
    for (const [status, type] of cases) {
      expect(parse(streamErrorEvent('/v1/messages', body, status))).toEqual({
        event: 'error',
        data: { type: 'error', error: { type, message: body.error.message }, request_id: 'req-1' },
      });
    }
  });

  it('/v1/responses: the Responses `error` event, fields on it and under `error`', () => {
    expect(parse(streamErrorEvent('/v1/responses', body, 500))).toEqual({
      event: 'error',
      data: {
        type: 'error',
        code: 'model_load_failed',
        message: body.error.message,
        param: 'model',
        sequence_number: 0,
        error: { type: 'server_error', code: 'model_load_failed', message: body.error.message, param: 'model' },
      },
    });
    // On a stream the gateway numbers itself, the event takes its place in the sequence.
    expect(parse(streamErrorEvent('/v1/responses', body, 500, 9)).data.sequence_number).toBe(9);
  });
});

describe('engineErrorBody: an engine 4xx body as the gateway error body', () => {
  it('reads OpenAI, Anthropic and string errors, and keeps unknown text as the message', () => {
    expect(engineErrorBody('{"error":{"code":400,"message":"too long","type":"exceed_context_size_error"}}')).toEqual(
      openAIError('too long', 'exceed_context_size_error', '400'),
    );
    expect(engineErrorBody('{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}')).toEqual(
      openAIError('bad', 'invalid_request_error'),
    );
    expect(engineErrorBody('{"error":"nope"}')).toEqual(openAIError('nope', 'invalid_request_error'));
    expect(engineErrorBody('Bad Request\n')).toEqual(openAIError('Bad Request?', 'invalid_request_error'));
  });
});
