import type { Command } from 'commander';
import { createCliFactory } from '../../app/create-factory.js';
import { listEngines } from '../../engines/engine-inventory.js';
import { supervisorStates } from '../../engines/managed-engines.js';
import { EngineManifestStore } from '../../engines/manifest/engine-manifest-store.js';
import { EngineSupervisor } from '../../engines/process/engine-supervisor.js';
import { cliContext, type GlobalOptions } from '../cli-context.js';
import { printJson, printTable } from '../output.js';

/** `engines list`: installed versions (active marked) and the engines on the configured hosts. */
export function registerListCommand(engines: Command): void {
  engines
    .command('list')
    .description('installed versions (active marked) and the engines on the configured hosts')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { config, logger } = cliContext(command.optsWithGlobals<GlobalOptions>());
      const store = EngineManifestStore.forHome(config.home);
      const manifest = await store.read();
      const factory = createCliFactory(config, logger);
      await factory.ensureInitialized();
      const runtimes = listEngines(factory, config, supervisorStates(new EngineSupervisor()));
      await factory.close();
      if (options.json) return printJson({ installed: manifest.engines, runtimes });
      const rows = Object.entries(manifest.engines).flatMap(([engine, record]) =>
        Object.entries(record?.versions ?? {}).map(([version, entry]) => [
          engine,
          version,
          record?.active === version ? '*' : '',
          entry.source,
          entry.installedAt,
          entry.path,
        ]),
      );
      console.log('Installed engines:');
      if (rows.length) printTable(['ENGINE', 'VERSION', 'ACTIVE', 'SOURCE', 'INSTALLED', 'PATH'], rows);
      else console.log('  none (engines install llama-cpp)');
      console.log('\nHosts:');
      printTable(
        ['RUNTIME', 'ENABLED', 'MANAGED', 'HOST', 'STATUS', 'VERSION', 'MODELS'],
        runtimes.flatMap((e) =>
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
    });
}
