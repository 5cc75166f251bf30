import { basename } from 'node:path';
import { z } from 'zod';
import type { LLMConfig } from '../llm/llm-config.js';
import { LLMModel, type ModelAvailability } from '../llm/llm-model.js';
import { LLMProvider } from '../llm/llm-provider.js';
import { LLMRuntime } from '../llm/llm-runtime.js';
import { requestJson } from '../transport/json-request.js';
import { EngineLoadingError } from '../transport/llm-errors.js';
import type { HostDiscovery, ModelProvider, ProbeContext } from './model-provider.js';

const healthSchema = z.object({ status: z.string().optional() }).passthrough();

const llamaModelEntry = z
  .object({
    id: z.string(),
    aliases: z.array(z.string()).optional(),
    owned_by: z.string().optional(),
    /** Router mode: load state of each model. */
    status: z
      .object({ value: z.string(), failed: z.boolean().optional(), exit_code: z.number().optional() })
      .passthrough()
      .optional(),
    meta: z
      .object({
        n_ctx: z.number().optional(),
        n_ctx_train: z.number().optional(),
        n_params: z.number().optional(),
        size: z.number().optional(),
        ftype: z.union([z.string(), z.number()]).optional(),
        n_vocab: z.number().optional(),
        n_embd: z.number().optional(),
      })
      .passthrough()
      .nullish(),
  })
  .passthrough();
const llamaModelsSchema = z.object({ data: z.array(llamaModelEntry) }).passthrough();

const propsSchema = z
  .object({
    role: z.string().optional(),
    build_info: z.string().optional(),
    total_slots: z.number().optional(),
    chat_template: z.string().optional(),
    model_alias: z.string().optional(),
    model_path: z.string().optional(),
    modalities: z.record(z.string(), z.boolean()).optional(),
    default_generation_settings: z.object({ n_ctx: z.number().optional() }).passthrough().optional(),
  })
  .passthrough();
type Props = z.infer<typeof propsSchema>;

/** `Q4_1` from llama.cpp's ftype names (`Q4_1`, `(guessed) Q4_K - Medium`, `all F32`). */
export function quantizationFromFtype(ftype: string | number | undefined): string | undefined {
  if (ftype === undefined || typeof ftype === 'number') return undefined;
  const cleaned = ftype
    .replace(/^\(guessed\)\s*/i, '')
    .replace(/^all\s+/i, '')
    .trim();
  return cleaned || undefined;
}

const ROUTER_STATUS: Record<string, ModelAvailability> = {
  loaded: 'served',
  loading: 'loading',
  unloaded: 'unloaded',
  sleeping: 'unloaded',
  downloading: 'loading',
  downloaded: 'unloaded',
};

/** A model's display name: its alias, or the GGUF file name without extension when the id is a path. */
export function llamaModelName(id: string): string {
  const looksLikePath = id.includes('/') || id.includes('\\') || id.toLowerCase().endsWith('.gguf');
  return looksLikePath ? basename(id.replace(/\\/g, '/')).replace(/\.gguf$/i, '') : id;
}

/**
 * Discovers llama-server hosts: `/health` (waiting out 503 "loading" within the deadline),
 * `/v1/models` with its `meta`, and `/props` for slots, chat template, build and modalities.
 * Router mode (several models, each with a load state) is recognised from `status` fields.
 */
export class LlamaCppModelProvider implements ModelProvider {
  readonly runtime = LLMRuntime.LLAMA_CPP;

  async discover(ctx: ProbeContext): Promise<HostDiscovery> {
    const warnings: string[] = [];
    if (ctx.runtimeSettings.healthcheck) {
      const ready = await this.waitUntilLoaded(ctx);
      if (!ready) {
        return { status: 'loading', models: [], warnings, error: 'engine is still loading its model' };
      }
    }
    const common = {
      http: ctx.http,
      baseUrl: ctx.hostUrl,
      runtime: this.runtime,
      apiKey: ctx.apiKey,
      signal: ctx.signal,
    };
    const [models, props] = await Promise.all([
      requestJson({ ...common, path: '/v1/models', schema: llamaModelsSchema }),
      // /props is extra detail: a host without it is still usable.
      requestJson({ ...common, path: '/props', schema: propsSchema }).catch((error: unknown) => {
        warnings.push(`/props unavailable: ${error instanceof Error ? error.message : String(error)}`);
        return undefined;
      }),
    ]);
    const isRouter = props?.role === 'router' || models.data.some((entry) => entry.status !== undefined);
    if (models.data.some((entry) => entry.owned_by !== undefined && entry.owned_by !== 'llamacpp')) {
      warnings.push(`${ctx.hostUrl} lists models not owned by "llamacpp": it may not be llama-server`);
    }
    if (props && !isRouter && !props.build_info) {
      warnings.push(`${ctx.hostUrl} /props has no build_info: it may not be llama-server`);
    }
    return {
      status: 'up',
      warnings,
      models: models.data.map((entry) => this.toModel(ctx.hostUrl, entry, isRouter ? undefined : props)),
    };
  }

  private toModel(hostUrl: string, entry: z.infer<typeof llamaModelEntry>, props: Props | undefined): LLMModel {
    const meta = entry.meta ?? {};
    const config: LLMConfig = {
      contextWindow: meta.n_ctx ?? props?.default_generation_settings?.n_ctx,
      trainedContextWindow: meta.n_ctx_train,
      parameterCount: meta.n_params,
      sizeBytes: meta.size,
      quantization: quantizationFromFtype(meta.ftype),
    };
    const name = llamaModelName(entry.aliases?.[0] ?? entry.id);
    return new LLMModel({
      name,
      value: entry.id,
      provider: LLMProvider.LLAMA_CPP,
      runtime: LLMRuntime.LLAMA_CPP,
      hostUrl,
      defaultConfig: config,
      availability: entry.status
        ? entry.status.failed
          ? 'failed'
          : (ROUTER_STATUS[entry.status.value] ?? 'unloaded')
        : 'served',
      metadata: {
        ownedBy: entry.owned_by,
        buildInfo: props?.build_info,
        totalSlots: props?.total_slots,
        chatTemplate: props?.chat_template,
        modalities: props?.modalities,
        localPath: props?.model_path,
      },
    });
  }

  /** True once `/health` says 200; false when it still answers 503 at the deadline. */
  private async waitUntilLoaded(ctx: ProbeContext): Promise<boolean> {
    for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
      try {
        await requestJson({
          http: ctx.http,
          baseUrl: ctx.hostUrl,
          path: '/health',
          runtime: this.runtime,
          schema: healthSchema,
          signal: ctx.signal,
        });
        return true;
      } catch (error) {
        if (!(error instanceof EngineLoadingError)) throw error;
        if (Date.now() + delay >= ctx.deadline - 50) return false;
        await sleep(delay, ctx.signal);
      }
    }
  }
}

/** Waits `ms`, or less when the probe is aborted; never leaves a listener behind. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
