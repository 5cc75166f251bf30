import { pullRepoToHfCache } from './hf-cache-writer.js';
import { downloadSettings, type MlxPullResult, type PullContext, type SourceAttempt } from './pull-types.js';

/** Files mlx_lm.server needs before it lists a cached repo. */
const MLX_REQUIRED_FILES = ['config.json', 'model.safetensors.index.json', 'tokenizer_config.json'];

/** Pulls a whole hub repo into the Hugging Face cache and says what mlx_lm.server will make of it. */
export async function pullMlxRepo(
  ctx: PullContext,
  repo: string,
  revision: string,
  attempts: SourceAttempt[],
  label: string | undefined,
): Promise<MlxPullResult> {
  ctx.emit({ phase: 'resolve', message: `listing ${repo}@${revision}` });
  const { signal, stallTimeoutMs, retryBudgetMs, retryBaseDelayMs } = downloadSettings(ctx);
  const pulled = await pullRepoToHfCache({
    hub: ctx.hub,
    repo,
    revision,
    hfCacheDir: ctx.options.hfCacheDir,
    signal,
    stallTimeoutMs,
    retryBudgetMs,
    retryBaseDelayMs,
    onProgress: (received, total, bytesPerSec, file) =>
      ctx.emit({ phase: 'download', file, received, total, bytesPerSec }),
  });
  const source = `hf:${repo}@${pulled.commit}`;
  attempts.push({ source: label ?? source, ok: true });
  const present = new Set(pulled.files.map((file) => file.path));
  const missing = MLX_REQUIRED_FILES.filter((file) => !present.has(file));
  return {
    kind: 'mlx',
    runtime: 'mlx',
    name: repo,
    path: pulled.snapshotDir,
    commit: pulled.commit,
    source,
    attempts,
    files: pulled.files,
    warnings: missing.length
      ? [`${repo} lacks ${missing.join(', ')}: mlx_lm.server will not list it (it can still load it by path)`]
      : [],
  };
}
