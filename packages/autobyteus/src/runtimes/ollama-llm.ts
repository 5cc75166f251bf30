import { OpenAICompatibleLLM } from '../llm/openai-compatible-llm.js';

/** Ollama client over its OpenAI-compatible endpoint (`/v1/chat/completions`). */
export class OllamaLLM extends OpenAICompatibleLLM {}
