import { isAbsolute } from 'node:path';
import { findCachedRepo, readMlxModelConfig, scanHuggingFaceCache } from '../discovery/hf-cache-scanner.js';
import { LLMModel } from '../llm/llm-model.js';
import { LLMProvider } from '../llm/llm-provider.js';
import { LLMRuntime } from '../llm/llm-runtime.js';
import { LLMError } from '../transport/llm-errors.js';
import type { HostDiscovery, ModelProvider, ProbeContext } from './model-provider.js';
import { listOpenAIModels } from './openai-model-list.js';

/** `org/name` for a snapshot path inside the hub cache, else the path itself. */
export function mlxModelName(id: string): string {
  const match = /models--([^/\\]+)[/\\]snapshots[/\\]/.exec(id);
  return match?.[1] ? match[1].split('--').join('/') : id;
}

/**
 * mlx_lm.server lists its `--model` twice when it lives in the hub cache: by repo id and by snapshot
 * path. Both name the same model; keep one entry, the repo id (it also works with HF_HUB_OFFLINE).
 */
function preferRepoIds(models: LLMModel[]): LLMModel[] {
  const byName = new Map<string, LLMModel>();
  for (const model of models) {
    const known = byName.get(model.name);
    if (!known || (isAbsolute(known.value) && !isAbsolute(model.value))) byName.set(model.name, model);
  }
  return [...byName.values()];
}

/**
 * Discovers mlx_lm.server hosts through `/v1/models`. The server reports ids only, so context
 * length and quantization come from each model folder's `config.json` when it is on this machine.
 * When the host is down, MLX folders in the Hugging Face cache are registered as `available`, so a
 * managed engine can serve them once started.
 */
export class MLXModelProvider implements ModelProvider {
  readonly runtime = LLMRuntime.MLX;

  async discover(ctx: ProbeContext): Promise<HostDiscovery> {
    try {
      const entries = await listOpenAIModels(ctx, this.runtime);
      const warnings = entries.some((entry) => entry.owned_by !== undefined && entry.owned_by !== 'mlx')
        ? [`${ctx.hostUrl} lists models with owned_by "${entries[0]?.owned_by}": it may not be mlx_lm.server`]
        : [];
      const models = await Promise.all(entries.map((entry) => this.toModel(ctx, entry.id, 'served')));
      return { status: 'up', models: preferRepoIds(models), warnings };
    } catch (error) {
      if (!(error instanceof LLMError)) throw error;
      const local = await scanHuggingFaceCache(ctx.settings.huggingFaceCacheDir);
      const models = local.map(
        (found) =>
          new LLMModel({
            name: found.id,
            value: found.id,
            provider: LLMProvider.MLX,
            runtime: LLMRuntime.MLX,
            hostUrl: ctx.hostUrl,
            defaultConfig: found.config,
            metadata: { localPath: found.path, modelType: found.modelType },
            availability: 'available',
          }),
      );
      return {
        status: error.kind === 'unauthorized' ? 'unauthorized' : 'down',
        models,
        warnings: [],
        error: error.reason,
      };
    }
  }

  private async toModel(ctx: ProbeContext, id: string, availability: 'served'): Promise<LLMModel> {
    const folder = isAbsolute(id) ? id : await findCachedRepo(ctx.settings.huggingFaceCacheDir, id);
    const local = folder ? await readMlxModelConfig(folder) : { config: {} };
    return new LLMModel({
      name: mlxModelName(id),
      value: id,
      provider: LLMProvider.MLX,
      runtime: LLMRuntime.MLX,
      hostUrl: ctx.hostUrl,
      defaultConfig: local.config,
      metadata: { localPath: folder, modelType: local.modelType },
      availability,
    });
  }
}
