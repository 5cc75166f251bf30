import { z } from 'zod';

const positiveInt = z.number().int().positive();

/**
 * Sampling parameters of a chat request with the ranges OpenAI documents for
 * /v1/chat/completions. The gateway checks them so a bad value gets a 400 naming the field instead
 * of whatever each engine does with it (some accept and answer, some fail with a local path in
 * the message). `null` means "not set", as in OpenAI's API.
 */
export const samplingParamsShape = {
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  n: positiveInt.nullish(),
  max_tokens: positiveInt.nullish(),
  max_completion_tokens: positiveInt.nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().min(0).max(20).nullish(),
  seed: z.number().int().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
};
