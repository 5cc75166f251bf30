import type { Command } from 'commander';
import { createManagedEngine, managedHostUrl, managedPidFile } from '../../engines/managed-engines.js';
import { EngineManifestStore } from '../../engines/manifest/engine-manifest-store.js';
import { EngineSupervisor } from '../../engines/process/engine-supervisor.js';
import { terminatePid } from '../../engines/process/engine-termination.js';
import { ENGINE_SPECS, engineSpecs } from '../../engines/specs/engine-spec.js';
import { isProcessAlive } from '../../io/process-liveness.js';
import { cliContext, type GlobalOptions } from '../cli-context.js';
import { printJson, printTable } from '../output.js';
import { ENGINE_ARG_HELP, engineArg } from './engine-arg.js';

/** Time a stopped engine gets between SIGTERM and SIGKILL. */
const STOP_GRACE_MS = 5_000;

/** `engines start|stop|status`: the managed engine processes of this home, by their PID files. */
export function registerProcessCommands(engines: Command): void {
  engines
    .command('start')
    .description('start the managed engines from the configuration and supervise them until interrupted')
    .action(async (_options: unknown, command: Command) => {
      const { config, logger } = cliContext(command.optsWithGlobals<GlobalOptions>());
      const store = EngineManifestStore.forHome(config.home);
      const supervisor = new EngineSupervisor();
      for (const spec of engineSpecs()) {
        const plan = await spec.plan(config, store);
        if (!plan.ok) continue;
        supervisor.add(
          createManagedEngine({ config, logger, spec, inputs: plan, hostUrl: managedHostUrl(config, spec) }),
        );
      }
      if (supervisor.list().length === 0) {
        throw new Error(
          'nothing to start: install an engine (engines install llama-cpp) and set LLAMACPP_DEFAULT_MODEL (models pull)',
        );
      }
      supervisor.installExitHandlers(process);
      for (const engine of supervisor.list()) {
        const status = await engine.start();
        console.error(`${status.name} ready at ${status.url} (pid ${status.pid}); Ctrl-C stops it`);
      }
      // `engines stop` from another terminal stops an engine for good; with none left, we are done.
      for (const engine of supervisor.list()) {
        engine.onStateChange(() => {
          if (supervisor.list().every((e) => e.status().state === 'stopped')) {
            console.error('every engine was stopped (engines stop); exiting');
            process.exit(0);
          }
        });
      }
    });

  engines
    .command('stop')
    .description('stop a managed engine started by this home (by its PID file)')
    .argument('<engine>', ENGINE_ARG_HELP)
    .action(async (name: string, _options: unknown, command: Command) => {
      const { config, logger } = cliContext(command.optsWithGlobals<GlobalOptions>());
      const spec = ENGINE_SPECS[engineArg(name)];
      const port = config.values[spec.keys.port];
      const pidFile = managedPidFile(config, spec);
      const pid = pidFile.read();
      if (!pid || !isProcessAlive(pid)) {
        console.log(`${spec.name} is not running on port ${port}`);
        return;
      }
      // Tell the supervising `serve` or `engines start` that this exit is a stop, not a crash to restart.
      pidFile.requestStop();
      await terminatePid(pid, STOP_GRACE_MS, logger);
      pidFile.remove();
      console.log(`${spec.name} (pid ${pid}) stopped`);
    });

  engines
    .command('status')
    .description('managed engines: installed binary, PID and whether they run')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { config } = cliContext(command.optsWithGlobals<GlobalOptions>());
      const store = EngineManifestStore.forHome(config.home);
      const rows = [];
      for (const spec of engineSpecs()) {
        const pid = managedPidFile(config, spec).read();
        rows.push({
          engine: spec.name,
          managed: config.values[spec.keys.managed],
          url: managedHostUrl(config, spec),
          pid: pid ?? undefined,
          running: pid ? isProcessAlive(pid) : false,
          runs: await spec.resolveProgram(config, store),
        });
      }
      if (options.json) return printJson(rows);
      printTable(
        ['ENGINE', 'MANAGED', 'URL', 'RUNNING', 'PID', 'BINARY'],
        rows.map((r) => [r.engine, r.managed ? 'yes' : 'no', r.url, r.running ? 'yes' : 'no', r.pid, r.runs]),
      );
    });
}
