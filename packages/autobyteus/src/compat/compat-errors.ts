import type { LLMModel as CoreLLMModel } from '../llm/llm-model.js';
import { LLMError } from '../transport/llm-errors.js';

const CHAT_ENDPOINT = 'POST /v1/chat/completions';

/**
 * A user message carries media the model cannot take (images for a model whose engine does not
 * report vision, any audio or video). Raised before a request is sent; `media` says which kind.
 */
export class UnsupportedMediaError extends LLMError {
  constructor(
    model: CoreLLMModel,
    readonly media: 'image' | 'audio' | 'video',
    reason: string,
    hint: string,
  ) {
    super(
      'bad_request',
      { runtime: model.runtime, host: model.hostUrl, endpoint: CHAT_ENDPOINT, model: model.value },
      reason,
      {
        hint,
      },
    );
  }
}

/** An image source that is neither a URL, a data URI, a readable image file nor base64. */
export class InvalidMediaSourceError extends LLMError {
  constructor(
    model: CoreLLMModel,
    readonly source: string,
    reason: string,
  ) {
    super(
      'bad_request',
      { runtime: model.runtime, host: model.hostUrl, endpoint: CHAT_ENDPOINT, model: model.value },
      reason,
    );
  }
}

/** `kwargs.tools` / `kwargs.tool_choice` that are not OpenAI tool definitions. */
export class InvalidToolsError extends LLMError {
  constructor(model: CoreLLMModel, reason: string) {
    super(
      'bad_request',
      { runtime: model.runtime, host: model.hostUrl, endpoint: CHAT_ENDPOINT, model: model.value },
      reason,
      {
        hint: 'pass tools as [{ type: "function", function: { name, description?, parameters? } }]',
      },
    );
  }
}

/** A bare model name that more than one host serves: the caller must pick an identifier. */
export class AmbiguousModelError extends Error {
  constructor(
    readonly modelName: string,
    readonly candidates: string[],
  ) {
    super(
      `The model name '${modelName}' is ambiguous. Please use one of the unique model identifiers: ${candidates.join(', ')}`,
    );
    this.name = 'AmbiguousModelError';
  }
}
