import { OpenAICompatibleLLM } from '../llm/openai-compatible-llm.js';
import type { ChatRequestBody } from '../transport/chat-request.js';

/**
 * llama-server client. Reasoning (`reasoning_content`), fragmented tool calls and `timings` are
 * handled by the shared transport; here we only keep the prompt cache on, so follow-up turns of a
 * conversation reuse the already evaluated prefix.
 */
export class LlamaCppLLM extends OpenAICompatibleLLM {
  protected override adaptRequest(body: ChatRequestBody): ChatRequestBody {
    return { cache_prompt: true, ...body };
  }
}
