import { z } from 'zod';
import { engineAuthHeaders } from '../engines/process/engine-key.js';
import type { EngineName } from '../engines/specs/engine-name.js';
import { getText } from '../io/http-get.js';

const propsSchema = z
  .object({
    total_slots: z.number().int().optional(),
    default_generation_settings: z.object({ n_ctx: z.number().int().optional() }).passthrough().optional(),
  })
  .passthrough();

/**
 * What a freshly loaded llama-server reports about itself (`GET /props`): the context it allocated
 * and its slots, shown by `models ps`. Best effort: an engine that does not answer gives nothing.
 * `apiKey`: the engine's key (`/props` demands it).
 */
export async function fetchEngineFacts(
  url: string,
  engine: EngineName,
  apiKey?: string,
): Promise<{ contextSize?: number; slots?: number }> {
  if (engine !== 'llama-cpp') return {};
  try {
    const answer = await getText(`${url}/props`, {
      timeoutMs: 3_000,
      maxBytes: 4 << 20,
      headers: engineAuthHeaders(apiKey),
    });
    if (answer.status !== 200) return {};
    const props = propsSchema.safeParse(JSON.parse(answer.text));
    if (!props.success) return {};
    const contextSize = props.data.default_generation_settings?.n_ctx;
    return {
      ...(contextSize !== undefined ? { contextSize } : {}),
      ...(props.data.total_slots !== undefined ? { slots: props.data.total_slots } : {}),
    };
  } catch {
    return {};
  }
}
