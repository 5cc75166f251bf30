import type { Command } from 'commander';
import { createCliFactory } from '../app/create-factory.js';
import { modelView } from '../app/model-view.js';
import { hubCacheDir } from '../models/hub-cache-dir.js';
import { listLocalModels } from '../models/local-models.js';
import { formatBytes } from '../models/progress-bar.js';
import { cliContext, type GlobalOptions } from './cli-context.js';
import { printJson, printTable } from './output.js';

async function discovered(command: Command) {
  const { config, logger } = cliContext(command.optsWithGlobals<GlobalOptions>());
  const factory = createCliFactory(config, logger);
  await factory.ensureInitialized();
  return { config, factory };
}

/** `models list` and `health`: discovery in-process, the same services the server uses. */
export function registerListingCommands(program: Command): void {
  const models = program.command('models').description('models: on the hosts, local files, pulls');
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

  program
    .command('health')
    .description('probe every configured host and show its health')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { factory } = await discovered(command);
      const hosts = factory.getHostHealth();
      if (options.json) printJson(hosts);
      else
        printTable(
          ['RUNTIME', 'HOST', 'STATUS', 'LATENCY', 'MODELS', 'ERROR'],
          hosts.map((h) => [h.runtime, h.hostUrl, h.status, `${h.latencyMs} ms`, h.modelCount, h.error]),
        );
      await factory.close();
      if (hosts.some((h) => h.status !== 'up')) process.exitCode = 1;
    });
}
