/** Anthropic's error `type` for an HTTP status, as its clients expect it. */
export function anthropicErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 503 || status === 529) return 'overloaded_error';
  if (status === 504) return 'timeout_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/**
 * The gateway's own OpenAI-style error body (`{"error":{"message",...}}`) as Anthropic's
 * (`{"type":"error","error":{"type","message"}}`), for the `/v1/messages` routes, whose clients read
 * that shape. Anything else (an engine's own Anthropic answer) is returned unchanged.
 */
export function toAnthropicError(payload: unknown, status: number): unknown {
  if (status < 400 || typeof payload !== 'string') return payload;
  try {
    const parsed = JSON.parse(payload) as { type?: unknown; error?: { message?: unknown; request_id?: unknown } };
    if (parsed.type === 'error' || !parsed.error || typeof parsed.error.message !== 'string') return payload;
    return JSON.stringify({
      type: 'error',
      error: { type: anthropicErrorType(status), message: parsed.error.message },
      ...(typeof parsed.error.request_id === 'string' ? { request_id: parsed.error.request_id } : {}),
    });
  } catch {
    return payload;
  }
}
