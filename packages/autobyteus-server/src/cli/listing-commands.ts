import type { Command } from 'commander';
import { listEngines, NO_MANAGED_ENGINES } from '../engines/engine-inventory.js';
import { modelView } from '../http/admin-routes.js';
import { createFactory } from '../services/create-factory.js';
import { cliContext, type GlobalOptions } from './cli-context.js';
import { printJson, printTable } from './output.js';

async function discovered(command: Command) {
  const { config, logger } = cliContext(command.optsWithGlobals<GlobalOptions>());
  const factory = createFactory(config, logger);
  await factory.ensureInitialized();
  return { config, factory };
}

/** `models list`, `engines list`, `health`: discovery in-process, the same services the server uses. */
export function registerListingCommands(program: Command): void {
  const models = program.command('models').description('models on the configured hosts');
  models
    .command('list')
    .description('list every registered model')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { factory } = await discovered(command);
      const views = factory.listAvailableModels().map(modelView);
      if (options.json) printJson(views);
      else
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
      await factory.close();
    });

  const engines = program.command('engines').description('local engines');
  engines
    .command('list')
    .description('list local engines with their hosts and state')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { config, factory } = await discovered(command);
      const views = listEngines(factory, config, NO_MANAGED_ENGINES);
      if (options.json) printJson(views);
      else
        printTable(
          ['RUNTIME', 'ENABLED', 'MANAGED', 'HOST', 'STATUS', 'VERSION', 'MODELS'],
          views.flatMap((e) =>
            e.hosts.length
              ? e.hosts.map((h) => [
                  e.runtime,
                  e.enabled ? 'yes' : 'no',
                  e.managed ? 'yes' : 'no',
                  h.url,
                  h.status,
                  h.version,
                  h.models,
                ])
              : [[e.runtime, e.enabled ? 'yes' : 'no', e.managed ? 'yes' : 'no', undefined, undefined, undefined, 0]],
          ),
        );
      await factory.close();
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
