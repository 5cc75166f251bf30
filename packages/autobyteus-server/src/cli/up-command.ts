import type { Command } from 'commander';
import { startServer } from '../app/bootstrap.js';
import { type LoadConfigOptions, loadServerConfig } from '../config/server-config.js';
import { installLlamaCpp } from '../engines/engine-installer.js';
import { EngineManifestStore } from '../engines/manifest/engine-manifest-store.js';
import { resolveLlamaBinary, resolveLlamaModel } from '../engines/specs/llama-cpp.js';
import { TerminalLine } from '../logging/terminal-line.js';
import { createTerminalLogger } from '../logging/terminal-logger.js';
import { MODEL_CATALOG } from '../models/catalog.js';
import type { GlobalOptions } from './cli-context.js';
import { stderrReporter } from './install-reporter.js';
import { pullWithProgress } from './models-commands.js';
import { exitOnSignals } from './shutdown.js';

/** The model `up` serves when LLAMACPP_DEFAULT_MODEL is not set: the smallest catalog chat model. */
export const UP_DEFAULT_MODEL = MODEL_CATALOG[0]?.name ?? 'smollm2-135m-instruct-q4_1';

/**
 * `up`: the one-command main job. Installs llama.cpp when missing (release download, falling back to
 * a source build), pulls the default model when missing, then starts the managed engine and the
 * server and says how to chat. With LLM_HOST_MANAGEMENT=external it only serves the configured hosts.
 */
export function registerUpCommand(program: Command): void {
  program
    .command('up')
    .description('install the engine and default model when missing, start them and the server')
    .option('--host <host>', 'listen address (AUTOBYTEUS_HOST)')
    .option('--port <port>', 'listen port (AUTOBYTEUS_PORT)')
    .action(async (options: { host?: string; port?: string }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const overrides: NonNullable<LoadConfigOptions['overrides']> = {};
      if (options.host) overrides.AUTOBYTEUS_HOST = options.host;
      if (options.port) overrides.AUTOBYTEUS_PORT = options.port;
      let config = loadServerConfig({ configPath: globals.config, overrides });
      // One live progress line on stderr (builds, downloads); log lines are printed above it.
      const terminalLine = new TerminalLine(process.stderr);
      const logger = createTerminalLogger(config.values, process.stdout, { terminalLine });
      const reporter = stderrReporter(terminalLine);

      if (config.values.LLM_HOST_MANAGEMENT !== 'external') {
        const store = EngineManifestStore.forHome(config.home);
        const modelName = config.values.LLAMACPP_DEFAULT_MODEL ?? UP_DEFAULT_MODEL;
        config = loadServerConfig({
          configPath: globals.config,
          overrides: { ...overrides, LLAMACPP_MANAGED: 'true', LLAMACPP_DEFAULT_MODEL: modelName },
        });
        if (!resolveLlamaModel(config)) {
          reporter.log(`pulling the default model ${modelName}`);
          const pulled = await pullWithProgress(modelName, config);
          reporter.log(`model ready: ${pulled.path} (from ${pulled.source})`);
        }
        if (!(await resolveLlamaBinary(config, store))) {
          reporter.log('llama.cpp is not installed: installing it');
          const installed = await installLlamaCpp({ method: 'auto' }, { config, store, logger, reporter });
          reporter.log(`llama.cpp ${installed.version} installed at ${installed.dir}`);
        }
      } else {
        reporter.log('LLM_HOST_MANAGEMENT=external: serving the configured hosts only');
      }

      const server = await startServer(config, logger);
      if (server.generatedToken) {
        process.stderr.write(
          `\nGenerated API token (shown once; stored in ${server.generatedToken.path}):\n  ${server.generatedToken.token}\n`,
        );
      }
      const local = server.models ? await server.models.list() : [];
      const remote = server.factory.listAvailableModels().filter((m) => m.availability === 'served');
      const names = [
        ...local.map(({ model, state }) => `${model.id} (${state === 'loaded' ? 'loaded' : 'loads on demand'})`),
        ...remote.map((m) => m.modelIdentifier),
      ];
      const example =
        local.find((m) => m.state === 'loaded')?.model.id ?? local[0]?.model.id ?? remote[0]?.name ?? '<model>';
      process.stderr.write(
        [
          '',
          `autobyteus-server listening on ${server.url} (OpenAI base URL: ${server.url}/v1)`,
          `models: ${names.join(', ') || 'none yet'}`,
          'chat with it:',
          `  npx autobyteus-server chat ${example} "Why is the sky blue?"`,
          `  curl -N ${server.url}/v1/chat/completions -H 'content-type: application/json' \\`,
          `    -d '{"model":"${example}","stream":true,"messages":[{"role":"user","content":"Hello!"}]}'`,
          'Ctrl-C stops the server and its engines.',
          '',
        ].join('\n'),
      );
      exitOnSignals(server, logger);
    });
}
