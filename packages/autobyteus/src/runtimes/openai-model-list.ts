import { z } from 'zod';
import { LLMModel } from '../llm/llm-model.js';
import type { LLMProvider } from '../llm/llm-provider.js';
import type { LLMRuntime } from '../llm/llm-runtime.js';
import { requestJson } from '../transport/json-request.js';
import type { ProbeContext } from './model-provider.js';

const openAIModelEntry = z
  .object({
    id: z.string(),
    owned_by: z.string().optional(),
    /** vLLM reports the context length it serves here; a value of another shape is ignored, not fatal. */
    max_model_len: z.number().int().positive().optional().catch(undefined),
  })
  .passthrough();
const openAIModelList = z.object({ data: z.array(openAIModelEntry) }).passthrough();
export type OpenAIModelEntry = z.infer<typeof openAIModelEntry>;

/** `GET /v1/models` of an OpenAI-compatible host; an empty 200 body counts as no models. */
export async function listOpenAIModels(ctx: ProbeContext, runtime: string): Promise<OpenAIModelEntry[]> {
  const list = await requestJson({
    http: ctx.http,
    baseUrl: ctx.hostUrl,
    path: '/v1/models',
    runtime,
    schema: openAIModelList,
    apiKey: ctx.apiKey,
    signal: ctx.signal,
    emptyBody: { data: [] },
  });
  return list.data;
}

/** One served model per `/v1/models` entry: the id is both name and request value. */
export function modelsFromOpenAIList(
  ctx: ProbeContext,
  entries: OpenAIModelEntry[],
  runtime: LLMRuntime,
  provider: LLMProvider,
): LLMModel[] {
  return entries.map(
    (entry) =>
      new LLMModel({
        name: entry.id,
        value: entry.id,
        provider,
        runtime,
        hostUrl: ctx.hostUrl,
        defaultConfig: entry.max_model_len ? { contextWindow: entry.max_model_len } : {},
        metadata: { ownedBy: entry.owned_by },
      }),
  );
}
