import { z } from 'zod';

/** One entry of `GET /api/ps` (the server's `LoadedModelView`), as the CLI reads it. */
export const loadedModelSchema = z.object({
  id: z.string(),
  engine: z.string(),
  state: z.string(),
  pid: z.number().int().optional(),
  port: z.number().int().optional(),
  url: z.string().optional(),
  estimatedBytes: z.number(),
  rssBytes: z.number().optional(),
  contextSize: z.number().int().optional(),
  slots: z.number().int().optional(),
  inFlight: z.number().int(),
  pinned: z.boolean(),
  idleSeconds: z.number(),
  expiresAt: z.string().nullable(),
  keepAliveMs: z.number(),
  loadedAt: z.string().optional(),
  loadMs: z.number().optional(),
});

/** A loaded model as `models ps` shows it. */
export type LoadedModel = z.infer<typeof loadedModelSchema>;

/** `GET /api/ps` */
export const psAnswer = z.object({ models: z.array(loadedModelSchema) });
/** `POST /api/models/:name/load` */
export const loadAnswer = z.object({ model: loadedModelSchema });
/** `POST /api/models/:name/unload` */
export const unloadAnswer = z.object({ unloaded: z.boolean(), id: z.string() });
/** `DELETE /api/models/:name` */
export const removeAnswer = z.object({
  deleted: z.boolean(),
  id: z.string(),
  kind: z.enum(['file', 'repo']),
  unloaded: z.boolean(),
});

/** The admin API path of one local model: the name is URL-encoded whole (MLX ids hold a slash). */
export function modelPath(name: string, action?: 'load' | 'unload'): string {
  return `/api/models/${encodeURIComponent(name)}${action ? `/${action}` : ''}`;
}
