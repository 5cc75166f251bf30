import { z } from 'zod';
import { LLMModel } from '../llm/llm-model.js';
import { LLMProvider } from '../llm/llm-provider.js';
import { LLMRuntime } from '../llm/llm-runtime.js';
import { requestJson } from '../transport/json-request.js';
import type { HostDiscovery, ModelProvider, ProbeContext } from './model-provider.js';

const tagsSchema = z.object({
  models: z.array(
    z
      .object({
        name: z.string(),
        model: z.string().optional(),
        size: z.number().optional(),
        details: z
          .object({
            family: z.string().optional(),
            parameter_size: z.string().optional(),
            quantization_level: z.string().optional(),
          })
          .passthrough()
          .optional(),
      })
      .passthrough(),
  ),
});

/** Discovers Ollama hosts through `/api/tags`, which (unlike `/v1/models`) reports size and quantization. */
export class OllamaModelProvider implements ModelProvider {
  readonly runtime = LLMRuntime.OLLAMA;

  async discover(ctx: ProbeContext): Promise<HostDiscovery> {
    const tags = await requestJson({
      http: ctx.http,
      baseUrl: ctx.hostUrl,
      path: '/api/tags',
      runtime: this.runtime,
      schema: tagsSchema,
      signal: ctx.signal,
    });
    return {
      status: 'up',
      warnings: [],
      models: tags.models.map(
        (entry) =>
          new LLMModel({
            name: entry.name,
            value: entry.model ?? entry.name,
            provider: LLMProvider.OLLAMA,
            runtime: LLMRuntime.OLLAMA,
            hostUrl: ctx.hostUrl,
            defaultConfig: { sizeBytes: entry.size, quantization: entry.details?.quantization_level },
            metadata: { family: entry.details?.family, parameterSize: entry.details?.parameter_size },
          }),
      ),
    };
  }
}
