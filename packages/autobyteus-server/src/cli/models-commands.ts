import type { Command } from 'commander';
import { modelView } from '../app/model-view.js';
import type { ServerConfig } from '../config/server-config.js';
import { MODEL_CATALOG } from '../models/catalog.js';
import { hubCacheDir } from '../models/hub-cache-dir.js';
import { listLocalModels } from '../models/local-models.js';
import { type PullResult, pullModel } from '../models/model-puller.js';
import { DownloadProgressBar, formatBytes } from '../models/progress-bar.js';
import { cliContext, type GlobalOptions } from './cli-context.js';
import { discovered } from './discovered.js';
import { registerLoadCommands } from './models/load-commands.js';
import { registerPsCommand } from './models/ps-command.js';
import { registerRmCommand } from './models/rm-command.js';
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

/** `models list|pull|catalog|ps|load|unload|rm`. */
export function registerModelsCommands(program: Command): void {
  const models = program
    .command('models')
    .description('models: on the hosts, local files, pulls, and the ones the running server has loaded');
  models
    .command('list')
    .description('list the models on the configured hosts and the local model files')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { config, factory } = await discovered(command);
      const views = factory.listAvailableModels().map(modelView);
      const local = await listLocalModels({ home: config.home, hfCacheDir: hubCacheDir(config) });
      await factory.close();
      if (options.json) return printJson({ registered: views, local });
      console.log('On the configured hosts:');
      printTable(
        ['IDENTIFIER', 'AVAILABILITY', 'CONTEXT', 'QUANT', 'STALE'],
        views.map((m) => [
          m.identifier,
          m.availability,
          m.config.contextWindow,
          m.config.quantization,
          m.stale ? 'yes' : '',
        ]),
      );
      console.log('\nLocal files:');
      const rows: Array<Array<string | number | undefined>> = [
        ...local.gguf.map((m) => [m.name, 'llama_cpp', formatBytes(m.size), m.gguf?.fileTypeName, m.path]),
        ...local.mlx.map((m) => [m.id, 'mlx', undefined, m.config.quantization, m.path]),
      ];
      printTable(['NAME', 'RUNTIME', 'SIZE', 'QUANT', 'PATH'], rows);
    });

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

  registerPsCommand(models);
  registerLoadCommands(models);
  registerRmCommand(models);
}
