#!/usr/bin/env node
import { Command } from 'commander';
import { ConfigError } from '../config/server-config.js';
import { SERVER_VERSION } from '../version.js';
import { registerChatCommand } from './chat-command.js';
import { registerConfigCommand } from './config-command.js';
import { registerEnginesCommands } from './engines-commands.js';
import { registerHealthCommand } from './health-command.js';
import { registerModelsCommands } from './models-commands.js';
import { registerReloadCommand } from './reload-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerUpCommand } from './up-command.js';
import { registerWorkerCommand } from './worker-command.js';

const program = new Command('autobyteus-server')
  .description(
    'Local LLM engines (llama.cpp, MLX, LM Studio, Ollama) behind one admin API and OpenAI-compatible gateway',
  )
  .version(SERVER_VERSION)
  .option('--config <file>', 'config.toml to use (AUTOBYTEUS_CONFIG; default $AUTOBYTEUS_HOME/config.toml)')
  .showHelpAfterError()
  // Root options only before the subcommand: `engines install --version V` must reach the subcommand,
  // not print the program version.
  .enablePositionalOptions();

registerServeCommand(program);
registerEnginesCommands(program);
registerModelsCommands(program);
registerHealthCommand(program);
registerUpCommand(program);
registerReloadCommand(program);
registerChatCommand(program);
registerConfigCommand(program);
registerWorkerCommand(program);

// `--config` works after any command too (`serve --config f`), not only before it.
const addConfigOption = (command: Command): void => {
  if (command.commands.length === 0) {
    if (!command.options.some((o) => o.long === '--config')) {
      command.option('--config <file>', 'config.toml to use (AUTOBYTEUS_CONFIG; default $AUTOBYTEUS_HOME/config.toml)');
    }
    return;
  }
  for (const sub of command.commands) addConfigOption(sub);
};
for (const command of program.commands) addConfigOption(command);

program.parseAsync(process.argv).catch((error: unknown) => {
  // Expected failures print their message only; a stack trace helps nobody fix a config value.
  const message = error instanceof ConfigError || error instanceof Error ? error.message : String(error);
  process.stderr.write(`autobyteus-server: ${message}\n`);
  process.exit(error instanceof ConfigError ? 2 : 1);
});
