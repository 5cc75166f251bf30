import { z } from 'zod';

// Schemas of the OpenAI-compatible chat wire format as llama-server, mlx_lm.server, LM Studio and
// Ollama send it. Lenient where engines differ (nullable fields, missing ids), strict on types.

const toolCallWire = z.object({
  index: z.number().int().optional(),
  id: z.string().nullish(),
  type: z.string().nullish(),
  function: z
    .object({
      name: z.string().nullish(),
      // Some engines send arguments as an object rather than JSON text.
      arguments: z.union([z.string(), z.record(z.string(), z.unknown())]).nullish(),
    })
    .nullish(),
});
export type ToolCallWire = z.infer<typeof toolCallWire>;

const usageWire = z.object({
  prompt_tokens: z.number().optional(),
  completion_tokens: z.number().optional(),
  total_tokens: z.number().optional(),
});
export type UsageWire = z.infer<typeof usageWire>;

const timingsWire = z.object({
  prompt_n: z.number().optional(),
  prompt_ms: z.number().optional(),
  prompt_per_second: z.number().optional(),
  predicted_n: z.number().optional(),
  predicted_ms: z.number().optional(),
  predicted_per_second: z.number().optional(),
  cache_n: z.number().optional(),
});
export type TimingsWire = z.infer<typeof timingsWire>;

const messageFields = {
  role: z.string().nullish(),
  content: z.string().nullish(),
  /** llama.cpp, LM Studio, DeepSeek style. */
  reasoning_content: z.string().nullish(),
  /** mlx_lm.server and Ollama style. */
  reasoning: z.string().nullish(),
  tool_calls: z.array(toolCallWire).nullish(),
};

export const chatChunkSchema = z.object({
  id: z.string().optional(),
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        index: z.number().optional(),
        delta: z.object(messageFields).nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .default([]),
  usage: usageWire.nullish(),
  timings: timingsWire.nullish(),
});
export type ChatChunkWire = z.infer<typeof chatChunkSchema>;

export const chatResponseSchema = z.object({
  id: z.string().optional(),
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        index: z.number().optional(),
        message: z.object(messageFields),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: usageWire.nullish(),
  timings: timingsWire.nullish(),
});
export type ChatResponseWire = z.infer<typeof chatResponseSchema>;
