import { LLMError } from 'autobyteus';

/** An OpenAI-style error body: what the `openai` client and most tools expect. */
export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function openAIError(
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

/** HTTP status and OpenAI error for a failure of the upstream engine. */
export function upstreamError(error: unknown): { status: number; body: OpenAIErrorBody } {
  if (!(error instanceof LLMError)) {
    return { status: 500, body: openAIError('internal error in the gateway', 'server_error', 'internal_error') };
  }
  const message = error.message;
  switch (error.kind) {
    case 'context_overflow':
      return {
        status: 400,
        body: openAIError(message, 'invalid_request_error', 'context_length_exceeded', 'messages'),
      };
    case 'model_not_found':
      return { status: 404, body: openAIError(message, 'invalid_request_error', 'model_not_found', 'model') };
    case 'bad_request':
      return {
        status: error.status ?? 400,
        body: openAIError(message, 'invalid_request_error', error.engineType ?? null),
      };
    case 'loading':
      return { status: 503, body: openAIError(message, 'engine_unavailable', 'engine_loading') };
    case 'timeout':
      return { status: 504, body: openAIError(message, 'engine_timeout', 'engine_timeout') };
    case 'unauthorized':
      return { status: 502, body: openAIError(message, 'engine_error', 'engine_unauthorized') };
    case 'aborted':
      return { status: 499, body: openAIError(message, 'request_aborted', 'aborted') };
    default:
      return { status: 502, body: openAIError(message, 'engine_error', `engine_${error.kind}`) };
  }
}

/** Errors that mean the host itself is gone (not just this request). */
export function hostIsDown(error: unknown): boolean {
  return error instanceof LLMError && ['connection', 'stream_interrupted'].includes(error.kind);
}
