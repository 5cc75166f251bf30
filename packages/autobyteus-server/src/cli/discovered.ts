import type { Command } from 'commander';
import { createCliFactory } from '../app/create-factory.js';
import { cliContext, type GlobalOptions } from './cli-context.js';

/** The configuration and an initialised factory (configured hosts plus this home's managed engines). */
export async function discovered(command: Command) {
  const { config, logger } = cliContext(command.optsWithGlobals<GlobalOptions>());
  const factory = createCliFactory(config, logger);
  await factory.ensureInitialized();
  return { config, factory };
}
