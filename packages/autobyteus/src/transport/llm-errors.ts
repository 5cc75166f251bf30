/** Where a failed request went: every typed error names it. */
export interface RequestContext {
  /** Runtime name, e.g. `llama_cpp`. */
  runtime: string;
  /** Base URL of the host. */
  host: string;
  /** Method and path, e.g. `POST /v1/chat/completions`. */
  endpoint: string;
  /** The model value sent, when the request was for one. */
  model?: string;
}

export type LLMErrorKind =
  | 'connection'
  | 'timeout'
  | 'aborted'
  | 'unauthorized'
  | 'loading'
  | 'context_overflow'
  | 'model_not_found'
  | 'bad_request'
  | 'engine'
  | 'protocol'
  | 'stream_interrupted';

export interface LLMErrorDetails {
  status?: number;
  /** The engine's own error message, verbatim. */
  engineMessage?: string;
  /** The engine's error type, e.g. `exceed_context_size_error`. */
  engineType?: string;
  /** What the user can do about it. */
  hint?: string;
  cause?: unknown;
}

/** Base of every error the transport and discovery raise. */
export class LLMError extends Error {
  readonly kind: LLMErrorKind;
  readonly runtime: string;
  readonly host: string;
  readonly endpoint: string;
  readonly model?: string;
  readonly status?: number;
  readonly engineMessage?: string;
  readonly engineType?: string;
  readonly hint?: string;
  /** The problem alone, without the host/endpoint prefix (health reports use it). */
  readonly reason: string;

  constructor(kind: LLMErrorKind, context: RequestContext, reason: string, details: LLMErrorDetails = {}) {
    const where = `${context.runtime} ${context.host} ${context.endpoint}${context.model ? ` (model ${context.model})` : ''}`;
    const status = details.status !== undefined ? `HTTP ${details.status}: ` : '';
    const hint = details.hint ? ` — ${details.hint}` : '';
    super(`${where}: ${status}${reason}${hint}`, details.cause !== undefined ? { cause: details.cause } : undefined);
    this.name = new.target.name;
    this.kind = kind;
    this.runtime = context.runtime;
    this.host = context.host;
    this.endpoint = context.endpoint;
    this.model = context.model;
    this.status = details.status;
    this.engineMessage = details.engineMessage;
    this.engineType = details.engineType;
    this.hint = details.hint;
    this.reason = `${status}${reason}`;
  }
}

/** The host could not be reached (refused, reset, unknown name). */
export class EngineConnectionError extends LLMError {
  constructor(context: RequestContext, reason: string, details?: LLMErrorDetails) {
    super('connection', context, reason, details);
  }
}

/** No connection, no answer or no next chunk within the configured time. */
export class EngineTimeoutError extends LLMError {
  constructor(
    context: RequestContext,
    readonly phase: 'connect' | 'queue' | 'idle' | 'total',
    readonly timeoutMs: number,
    details?: LLMErrorDetails,
  ) {
    const what = {
      connect: 'could not connect',
      queue: 'the engine did not start answering',
      idle: 'no data from the engine',
      total: 'request did not finish',
    }[phase];
    super('timeout', context, `${what} within ${timeoutMs} ms`, details);
  }
}

/** The caller aborted through its `AbortSignal`. */
export class RequestAbortedError extends LLMError {
  constructor(context: RequestContext, details?: LLMErrorDetails) {
    super('aborted', context, 'request aborted by the caller', details);
  }
}

/** 401/403: missing or wrong API key. */
export class EngineUnauthorizedError extends LLMError {
  constructor(context: RequestContext, reason: string, details?: LLMErrorDetails) {
    super('unauthorized', context, reason, details);
  }
}

/** 503 while the engine loads its model. Retry later. */
export class EngineLoadingError extends LLMError {
  constructor(context: RequestContext, reason: string, details?: LLMErrorDetails) {
    super('loading', context, reason, details);
  }
}

/** The prompt does not fit the context window. */
export class ContextOverflowError extends LLMError {
  constructor(
    context: RequestContext,
    reason: string,
    readonly promptTokens?: number,
    readonly contextWindow?: number,
    details?: LLMErrorDetails,
  ) {
    super('context_overflow', context, reason, details);
  }
}

/** The host does not know the requested model. */
export class ModelNotFoundError extends LLMError {
  constructor(context: RequestContext, reason: string, details?: LLMErrorDetails) {
    super('model_not_found', context, reason, details);
  }
}

/** Any other HTTP error answer (4xx/5xx) with the engine's own message. */
export class EngineHttpError extends LLMError {
  constructor(context: RequestContext, reason: string, details?: LLMErrorDetails) {
    super((details?.status ?? 500) < 500 ? 'bad_request' : 'engine', context, reason, details);
  }
}

/** The engine answered something that is not what the protocol says (HTML, bad JSON, wrong shape, too big). */
export class EngineProtocolError extends LLMError {
  constructor(context: RequestContext, reason: string, details?: LLMErrorDetails) {
    super('protocol', context, reason, details);
  }
}

/** A stream that stopped early: an error event, a dropped connection, or no `[DONE]`. */
export class StreamInterruptedError extends LLMError {
  constructor(context: RequestContext, reason: string, details?: LLMErrorDetails) {
    super('stream_interrupted', context, reason, details);
  }
}
