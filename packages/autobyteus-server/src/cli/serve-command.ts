import type { Command } from 'commander';
import { startServer } from '../app/bootstrap.js';
import { loadServerConfig } from '../config/server-config.js';
import { createTerminalLogger } from '../logging/terminal-logger.js';
import type { GlobalOptions } from './cli-context.js';
import { exitOnSignals } from './shutdown.js';

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('start the admin API and OpenAI-compatible gateway')
    .option('--host <host>', 'listen address (AUTOBYTEUS_HOST; default 127.0.0.1)')
    .option('--port <port>', 'listen port (AUTOBYTEUS_PORT; default 8765)')
    .action(async (options: { host?: string; port?: string }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const overrides: Record<string, string> = {};
      if (options.host) overrides.AUTOBYTEUS_HOST = options.host;
      if (options.port) overrides.AUTOBYTEUS_PORT = options.port;
      const config = loadServerConfig({ configPath: globals.config, overrides });
      const logger = createTerminalLogger(config.values, process.stdout);
      const server = await startServer(config, logger);
      if (server.generatedToken) {
        process.stderr.write(
          `\nGenerated API token (shown once; stored with 0600 permissions in ${server.generatedToken.path}):\n  ${server.generatedToken.token}\n\n`,
        );
      }
      process.stderr.write(`autobyteus-server listening on ${server.url} (OpenAI base URL: ${server.url}/v1)\n`);
      exitOnSignals(server, logger);
    });
}
