import type { Command } from 'commander';
import { findModelOnDisk, removeLocalModel } from '../../serving/remove-model.js';
import { cliContext, type GlobalOptions } from '../cli-context.js';
import { printJson } from '../output.js';
import { callServer, ServerNotRunningError, serverEndpoint } from '../server-client.js';
import { modelPath, removeAnswer } from './answers.js';

/**
 * `models rm`: deletes a local model (GGUF file and registry entry, or MLX repo of the hub cache).
 * With a server running it goes through the server, which refuses while the model is loaded (unless
 * --force, which unloads it first); with none running nothing is loaded, so the CLI deletes it itself.
 */
export function registerRmCommand(models: Command): void {
  models
    .command('rm')
    .description('delete a local model: its GGUF file, or its MLX repo in the Hugging Face cache')
    .argument('<name>', 'model id, file stem, catalog name or alias')
    .option('--force', 'unload it first when the running server has it loaded')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { force?: boolean; json?: boolean }, command: Command) => {
      const { config } = cliContext(command.optsWithGlobals<GlobalOptions>());
      let answer: { deleted: boolean; id: string; kind: 'file' | 'repo'; unloaded: boolean };
      try {
        answer = await callServer(
          serverEndpoint(config),
          { method: 'DELETE', path: `${modelPath(name)}${options.force ? '?force=true' : ''}`, timeoutMs: 120_000 },
          removeAnswer,
        );
      } catch (error) {
        if (!(error instanceof ServerNotRunningError)) throw error;
        const model = await findModelOnDisk(config, name);
        if (!model) throw new Error(`"${name}" is not a local model (models list shows them)`);
        const removed = await removeLocalModel(config, model);
        answer = { deleted: true, id: removed.id, kind: removed.kind, unloaded: false };
      }
      if (options.json) return printJson(answer);
      console.log(
        `removed ${answer.id} (${answer.kind === 'file' ? 'GGUF file' : 'MLX repo'}${answer.unloaded ? ', unloaded first' : ''})`,
      );
    });
}
