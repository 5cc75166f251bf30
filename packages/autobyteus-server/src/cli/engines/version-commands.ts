import type { Command } from 'commander';
import { EngineManifestStore } from '../../engines/manifest/engine-manifest-store.js';
import { cliContext, type GlobalOptions } from '../cli-context.js';
import { ENGINE_ARG_HELP, engineArg } from './engine-arg.js';

/** `engines rollback|remove`: which installed version is active, and deleting old ones. */
export function registerVersionCommands(engines: Command): void {
  engines
    .command('rollback')
    .description('make the previous version active again')
    .argument('<engine>', ENGINE_ARG_HELP)
    .action(async (name: string, _options: unknown, command: Command) => {
      const { config } = cliContext(command.optsWithGlobals<GlobalOptions>());
      const result = await EngineManifestStore.forHome(config.home).rollback(engineArg(name));
      console.log(`${name}: ${result.from ?? '(none)'} → ${result.to}`);
    });

  engines
    .command('remove')
    .description('delete an installed version (not the active one, unless --force)')
    .argument('<engine>', ENGINE_ARG_HELP)
    .argument('<version>', 'the version to remove')
    .option('--force', 'remove even the active version')
    .action(async (name: string, version: string, options: { force?: boolean }, command: Command) => {
      const { config } = cliContext(command.optsWithGlobals<GlobalOptions>());
      await EngineManifestStore.forHome(config.home).remove(engineArg(name), version, { force: options.force });
      console.log(`${name} ${version} removed`);
    });
}
