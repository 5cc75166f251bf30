import { formatDuration } from 'autobyteus';
import type { Command } from 'commander';
import { cliContext, type GlobalOptions } from '../cli-context.js';
import { printJson } from '../output.js';
import { callServer, serverEndpoint } from '../server-client.js';
import { loadAnswer, modelPath, unloadAnswer } from './answers.js';

/** Loading a large model can take minutes; the server bounds its own wait for memory and slots. */
const LOAD_TIMEOUT_MS = 15 * 60_000;

/** `models load` and `models unload`: ask the running server to load or unload a local model now. */
export function registerLoadCommands(models: Command): void {
  models
    .command('load')
    .description('load a local model in the running server now (POST /api/models/:name/load)')
    .argument('<name>', 'model id, file stem, catalog name or alias')
    .option('--keep-alive <duration>', 'how long it stays loaded when idle: 10m, 1h, -1 = never (default: its setting)')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { keepAlive?: string; json?: boolean }, command: Command) => {
      const { config } = cliContext(command.optsWithGlobals<GlobalOptions>());
      const { model } = await callServer(
        serverEndpoint(config),
        {
          method: 'POST',
          path: modelPath(name, 'load'),
          body: options.keepAlive !== undefined ? { keep_alive: options.keepAlive } : {},
          timeoutMs: LOAD_TIMEOUT_MS,
        },
        loadAnswer,
      );
      if (options.json) return printJson({ model });
      const where = [
        model.engine,
        model.pid ? `pid ${model.pid}` : undefined,
        model.port ? `port ${model.port}` : undefined,
      ];
      const took = model.loadMs !== undefined ? `, loaded in ${(model.loadMs / 1000).toFixed(1)} s` : '';
      const keep =
        model.pinned || model.keepAliveMs < 0
          ? 'never unloaded'
          : `unloads after ${formatDuration(model.keepAliveMs)} idle`;
      console.log(`${model.id} ${model.state} (${where.filter(Boolean).join(', ')}${took}); ${keep}`);
    });

  models
    .command('unload')
    .description(
      'unload a local model from the running server now, stopping its engine (POST /api/models/:name/unload)',
    )
    .argument('<name>', 'model id, file stem, catalog name or alias')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { json?: boolean }, command: Command) => {
      const { config } = cliContext(command.optsWithGlobals<GlobalOptions>());
      const answer = await callServer(
        serverEndpoint(config),
        { method: 'POST', path: modelPath(name, 'unload'), timeoutMs: 120_000 },
        unloadAnswer,
      );
      if (options.json) return printJson(answer);
      console.log(answer.unloaded ? `unloaded ${answer.id}` : `${answer.id} was not loaded`);
    });
}
