import { LLMError } from 'autobyteus';

/** An OpenAI-style error body: what the `openai` client and most tools expect. */
export interface OpenAIErrorBody {
  /** `request_id` is set on server-side failures: the same id is in the log and the x-request-id header. */
  error: { message: string; type: string; param: string | null; code: string | null; request_id?: string };
}

export function openAIError(
  message: string,
  type: string,
  code: string | null = null,
  param: string | null = null,
): OpenAIErrorBody {
  return { error: { message, type, param, code } };
}

/** The same body with the request id the log carries for it. */
export function withRequestId(body: OpenAIErrorBody, requestId: string): OpenAIErrorBody {
  return { error: { ...body.error, request_id: requestId } };
}

/**
 * What the client is told about an engine failure: the runtime and the engine's own message, with
 * URLs, host:port pairs and absolute paths (model files, install folders) replaced. The full
 * message, with host and endpoint, stays in the server log.
 */
export function clientMessage(error: LLMError): string {
  const hint = error.hint ? ` — ${error.hint}` : '';
  return `${error.runtime} engine: ${withoutLocalDetails(`${error.reason}${hint}`)}`;
}

/** Replaces URLs, IP:port / localhost:port and absolute file paths in engine text. */
export function withoutLocalDetails(text: string): string {
  return text
    .replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'`<>)\]]+/gi, '<url>')
    .replace(/(?:\[[0-9a-f:]*\]|\b(?:\d{1,3}\.){3}\d{1,3}|\blocalhost)(?::\d{1,5})?\b/gi, '<host>')
    .replace(/(^|[\s"'`(=,:[{])(?:~|[a-z]:)?[\\/](?:[^\s"'`),\]}]*)/gi, (match, lead: string) =>
      /^[\\/]?$/.test(match.slice(lead.length)) ? match : `${lead}<path>`,
    );
}

/** HTTP status and OpenAI error for a failure of the upstream engine. */
export function upstreamError(error: unknown): { status: number; body: OpenAIErrorBody } {
  if (!(error instanceof LLMError)) {
    return { status: 500, body: openAIError('internal error in the gateway', 'server_error', 'internal_error') };
  }
  const message = clientMessage(error);
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
