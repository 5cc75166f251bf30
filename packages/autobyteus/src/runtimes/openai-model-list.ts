import { z } from 'zod';
import { requestJson } from '../transport/json-request.js';
import type { ProbeContext } from './model-provider.js';

const openAIModelEntry = z.object({ id: z.string(), owned_by: z.string().optional() }).passthrough();
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
    apiKey: ctx.runtimeSettings.apiKey,
    signal: ctx.signal,
    emptyBody: { data: [] },
  });
  return list.data;
}
