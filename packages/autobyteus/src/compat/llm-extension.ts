import type { BaseLLM } from './base-llm.js';
import type { MessageLike } from './message-renderer.js';
import type { CompleteResponse } from './response-types.js';

/**
 * A hook around every call of one LLM instance (autobyteus-ts's extension point): `beforeInvoke`
 * sees the messages before the request, `afterInvoke` the whole answer (for a stream, once it ended).
 */
export abstract class LLMExtension {
  constructor(protected readonly llm: BaseLLM) {}

  abstract beforeInvoke(
    messages: readonly MessageLike[],
    renderedPayload?: unknown,
    kwargs?: Record<string, unknown>,
  ): Promise<void>;

  abstract afterInvoke(
    messages: readonly MessageLike[],
    response: CompleteResponse | null,
    kwargs?: Record<string, unknown>,
  ): Promise<void>;

  async cleanup(): Promise<void> {}
}
