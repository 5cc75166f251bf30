import { z } from 'zod';
import type { TokenUsage as CoreTokenUsage } from '../transport/chat-types.js';

/**
 * Token counts of one answer in autobyteus-ts's snake_case shape. The cost fields exist so usage
 * objects from autobyteus-ts's own trackers fit; the local engines never fill them.
 */
export const TokenUsageSchema = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
  prompt_cost: z.number().nullable().optional(),
  completion_cost: z.number().nullable().optional(),
  total_cost: z.number().nullable().optional(),
});

export type TokenUsage = z.infer<typeof TokenUsageSchema>;

/** Our camelCase usage → the snake_case one; `null` when the engine reported none. */
export function toTokenUsage(usage: CoreTokenUsage | undefined): TokenUsage | null {
  if (!usage) return null;
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
  };
}
