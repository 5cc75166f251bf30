import { OpenAICompatibleLLM } from '../llm/openai-compatible-llm.js';

/** LM Studio client: its API is the OpenAI one, so the shared transport needs nothing extra. */
export class LMStudioLLM extends OpenAICompatibleLLM {}
