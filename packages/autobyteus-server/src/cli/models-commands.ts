import type { Command } from 'commander';
import type { ServerConfig } from '../config/server-config.js';
import { MODEL_CATALOG } from '../models/catalog.js';
import { hubCacheDir } from '../models/hub-cache-dir.js';
import { type PullResult, pullModel } from '../models/model-puller.js';
import { DownloadProgressBar, formatBytes } from '../models/progress-bar.js';
import { cliContext, type GlobalOptions } from './cli-context.js';
import { printJson, printTable } from './output.js';

/** Pulls one model with a progress bar on stderr; shared by `models pull` and `up`. */
export async function pullWithProgress(ref: string, config: ServerConfig): Promise<PullResult> {
  const bar = new DownloadProgressBar();
  try {
    return await pullModel(ref, {
      home: config.home,
      hfCacheDir: hubCacheDir(config),
      hubBaseUrl: config.values.HF_ENDPOINT,
      hfToken: config.values.HF_TOKEN,
      pypiBaseUrl: config.values.PYPI_URL,
      onProgress: (event) => {
        if (event.phase === 'download' && event.received !== undefined) {
          bar.update(event.file ?? ref, event.received, event.total, event.bytesPerSec ?? 0);
        } else if (event.message) {
          bar.log(event.message);
        }
      },
    });
  } finally {
    bar.stop();
  }
}

/** `models pull` and `models catalog` (`models list` lives with the listing commands). */
export function registerModelsCommands(program: Command): void {
  const models = program.commands.find((c) => c.name() === 'models') ?? program.command('models');
  models
    .command('pull')
    .description('download a model: hf:org/repo/file.gguf, hf:org/repo (MLX), an https URL, or a catalog name')
    .argument('<ref>', 'what to pull')
    .option('--json', 'print the result as JSON')
    .action(async (ref: string, options: { json?: boolean }, command: Command) => {
      const { config } = cliContext(command.optsWithGlobals<GlobalOptions>());
      const result = await pullWithProgress(ref, config);
      if (options.json) return printJson(result);
      console.log(`${result.name} → ${result.path} (from ${result.source})`);
      if (result.kind === 'gguf') {
        console.log(
          `  ${formatBytes(result.size)}, sha256 ${result.sha256}${result.reused ? ', already present' : ''}`,
        );
        console.log(`  serve it: LLAMACPP_MANAGED=true LLAMACPP_DEFAULT_MODEL=${result.path} autobyteus-server serve`);
      }
      for (const warning of result.kind === 'mlx' ? result.warnings : []) console.log(`  warning: ${warning}`);
    });

  models
    .command('catalog')
    .description('the curated small checkpoints `models pull <name>` knows')
    .option('--json', 'print JSON')
    .action((options: { json?: boolean }) => {
      if (options.json) return printJson(MODEL_CATALOG);
      printTable(
        ['NAME', 'RUNTIME', 'SIZE', 'QUANT', 'SHA256', 'DESCRIPTION'],
        MODEL_CATALOG.map((e) => [
          e.name,
          e.runtime,
          `${e.sizeApproximate ? '~' : ''}${formatBytes(e.sizeBytes)}`,
          e.quantization,
          e.sha256 ? `${e.sha256.slice(0, 12)}…` : 'hub LFS',
          e.description,
        ]),
      );
    });
}
