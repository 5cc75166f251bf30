import { OpenAICompatibleLLM } from '../llm/openai-compatible-llm.js';
import type { ChatRequestBody } from '../transport/chat-request.js';

/**
 * mlx_lm.server client. mlx_lm.server has no `response_format`, so it is dropped with a warning
 * rather than silently ignored by the engine.
 */
export class MLXLLM extends OpenAICompatibleLLM {
  protected override adaptRequest(body: ChatRequestBody): ChatRequestBody {
    if (body.response_format === undefined) return body;
    this.deps.logger.warn(
      { model: this.model.modelIdentifier },
      'mlx_lm.server does not support response_format; sending the request without it',
    );
    const { response_format: _dropped, ...rest } = body;
    return rest as ChatRequestBody;
  }
}
