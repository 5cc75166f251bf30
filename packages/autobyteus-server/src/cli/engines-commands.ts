import type { Command } from 'commander';
import { installLlamaCpp, installMlx, type LlamaInstallRequest } from '../engines/engine-installer.js';
import { listEngines } from '../engines/engine-inventory.js';
import {
  createLlamaEngine,
  createMlxEngine,
  managedHostUrl,
  resolveLlamaBinary,
  resolveLlamaModel,
  resolveMlxPython,
  supervisorStates,
} from '../engines/managed-engines.js';
import { ENGINE_NAMES, type EngineName } from '../engines/manifest/engine-layout.js';
import { EngineManifestStore } from '../engines/manifest/engine-manifest-store.js';
import { chooseLlamaBuild, type LlamaBackendSetting } from '../engines/platform/choose-llama-build.js';
import { describePlatform } from '../engines/platform/describe-platform.js';
import { detectPlatform } from '../engines/platform/detect-platform.js';
import { EngineSupervisor } from '../engines/process/engine-supervisor.js';
import { PidFile } from '../engines/process/pid-file.js';
import { isProcessAlive } from '../engines/process/process-liveness.js';
import { createCliFactory } from '../app/create-factory.js';
import { cliContext, type GlobalOptions } from './cli-context.js';
import { stderrReporter } from './install-reporter.js';
import { printJson, printTable } from './output.js';

function engineArg(value: string): EngineName {
  const name = value === 'llama.cpp' || value === 'llama_cpp' ? 'llama-cpp' : value;
  if (!(ENGINE_NAMES as readonly string[]).includes(name))
    throw new Error(`unknown engine "${value}" (use llama-cpp or mlx)`);
  return name as EngineName;
}

interface InstallFlags {
  from?: string;
  sha256?: string;
  version?: string;
  release?: boolean;
  source?: string | boolean;
  tag?: string;
  allowUnverified?: boolean;
  force?: boolean;
  smoke?: boolean;
}

function installRequest(flags: InstallFlags): LlamaInstallRequest {
  return {
    from: flags.from,
    sha256: flags.sha256,
    version: flags.version,
    method: flags.source ? 'source' : flags.release ? 'release' : 'auto',
    source: typeof flags.source === 'string' ? flags.source : undefined,
    tag: flags.tag,
    allowUnverified: flags.allowUnverified,
    force: flags.force,
    smoke: flags.smoke,
  };
}

function withInstallOptions(command: Command): Command {
  return command
    .argument('<engine>', 'llama-cpp or mlx')
    .option('--from <archive|folder>', 'install a pre-bundled llama.cpp archive (.tar.gz/.zip) or folder')
    .option('--sha256 <hex>', 'expected sha256 of the archive or release asset')
    .option('--version <v>', 'version name for --from installs')
    .option('--release', 'only the release download (no source-build fallback)')
    .option(
      '--source [spec]',
      'build from source: npm:<pkg@ver>, git:<url>#<ref>, bundle:<file>, checkout:<dir> (default LLAMACPP_SOURCE)',
    )
    .option('--tag <tag>', 'llama.cpp release tag (default LLAMACPP_RELEASE_TAG)')
    .option('--allow-unverified', 'install a release asset with no known checksum')
    .option('--force', 'reinstall a version that is already installed')
    .option('--no-smoke', 'skip the smoke test (start + readiness) before activating');
}

/** `engines ...`: doctor, list, install, upgrade, rollback, remove, start, stop, status. */
export function registerEnginesCommands(program: Command): void {
  const engines = program.command('engines').description('install, run and inspect local engines');

  engines
    .command('doctor')
    .description('show what this machine has and which llama.cpp build fits it, and why')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { config } = cliContext(command.optsWithGlobals<GlobalOptions>());
      const platform = await detectPlatform();
      const choice = chooseLlamaBuild(platform, config.values.LLAMACPP_BACKEND as LlamaBackendSetting);
      if (options.json) return printJson({ platform, llamaCpp: choice });
      for (const line of describePlatform(platform)) console.log(line);
      console.log(
        `\nllama.cpp (LLAMACPP_BACKEND=${config.values.LLAMACPP_BACKEND}): ${choice.backend}, ${choice.method === 'release' ? `release asset ${choice.asset}` : 'source build'}`,
      );
      for (const reason of choice.reasons) console.log(`  - ${reason}`);
      if (choice.cmakeFlags.length) console.log(`  CMake flags: ${choice.cmakeFlags.join(' ')}`);
    });

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

  for (const verb of ['install', 'upgrade'] as const) {
    withInstallOptions(
      engines
        .command(verb)
        .description(
          verb === 'install'
            ? 'install an engine (release download, source-build fallback, pre-bundled archive, or MLX venv)'
            : 'install a newer version beside the active one; activate it only if it passes its smoke test',
        ),
    ).action(async (name: string, flags: InstallFlags, command: Command) => {
      const { config, logger } = cliContext(command.optsWithGlobals<GlobalOptions>());
      const store = EngineManifestStore.forHome(config.home);
      const reporter = stderrReporter();
      const engine = engineArg(name);
      const installed =
        engine === 'mlx'
          ? await installMlx({ config, store, reporter, force: flags.force })
          : await installLlamaCpp(installRequest(flags), {
              config,
              store,
              logger,
              reporter,
              upgrade: verb === 'upgrade',
            });
      for (const warning of store.warnings) reporter.log(`warning: ${warning}`);
      console.log(
        `${installed.engine} ${installed.version} installed at ${installed.dir}${installed.active ? ' (active)' : ''}`,
      );
    });
  }

  engines
    .command('rollback')
    .description('make the previous version active again')
    .argument('<engine>', 'llama-cpp or mlx')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { config } = cliContext(command.optsWithGlobals<GlobalOptions>());
      const result = await EngineManifestStore.forHome(config.home).rollback(engineArg(name));
      console.log(`${name}: ${result.from ?? '(none)'} → ${result.to}`);
    });

  engines
    .command('remove')
    .description('delete an installed version (not the active one, unless --force)')
    .argument('<engine>', 'llama-cpp or mlx')
    .argument('<version>', 'the version to remove')
    .option('--force', 'remove even the active version')
    .action(async (name: string, version: string, options: { force?: boolean }, command: Command) => {
      const { config } = cliContext(command.optsWithGlobals<GlobalOptions>());
      await EngineManifestStore.forHome(config.home).remove(engineArg(name), version, { force: options.force });
      console.log(`${name} ${version} removed`);
    });

  engines
    .command('start')
    .description('start the managed engines from the configuration and supervise them until interrupted')
    .action(async (_options: unknown, command: Command) => {
      const { config, logger } = cliContext(command.optsWithGlobals<GlobalOptions>());
      const store = EngineManifestStore.forHome(config.home);
      const supervisor = new EngineSupervisor();
      const binary = await resolveLlamaBinary(config, store);
      const model = resolveLlamaModel(config);
      if (binary && model) {
        supervisor.add(
          createLlamaEngine({ config, logger, binary, modelPath: model, hostUrl: managedHostUrl(config, 'llama_cpp') }),
        );
      }
      const python = await resolveMlxPython(config, store);
      if (python && config.values.MLX_DEFAULT_MODEL) {
        supervisor.add(
          createMlxEngine({
            config,
            logger,
            python,
            model: config.values.MLX_DEFAULT_MODEL,
            hostUrl: managedHostUrl(config, 'mlx'),
          }),
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
    });

  engines
    .command('stop')
    .description('stop a managed engine started by this home (by its PID file)')
    .argument('<engine>', 'llama-cpp or mlx')
    .action(async (name: string, _options: unknown, command: Command) => {
      const { config } = cliContext(command.optsWithGlobals<GlobalOptions>());
      const engine = engineArg(name);
      const port = new URL(managedHostUrl(config, engine === 'mlx' ? 'mlx' : 'llama_cpp')).port;
      const pidFile = new PidFile(`${config.home}/run`, engine, Number(port));
      const pid = pidFile.read();
      if (!pid || !isProcessAlive(pid)) {
        console.log(`${engine} is not running on port ${port}`);
        return;
      }
      process.kill(-pid, 'SIGTERM');
      for (let i = 0; i < 50 && isProcessAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
      if (isProcessAlive(pid)) process.kill(-pid, 'SIGKILL');
      pidFile.remove();
      console.log(`${engine} (pid ${pid}) stopped`);
    });

  engines
    .command('status')
    .description('managed engines: installed binary, PID and whether they run')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }, command: Command) => {
      const { config } = cliContext(command.optsWithGlobals<GlobalOptions>());
      const store = EngineManifestStore.forHome(config.home);
      const rows = [];
      for (const engine of ENGINE_NAMES) {
        const url = managedHostUrl(config, engine === 'mlx' ? 'mlx' : 'llama_cpp');
        const pid = new PidFile(`${config.home}/run`, engine, Number(new URL(url).port)).read();
        rows.push({
          engine,
          managed: engine === 'mlx' ? config.values.MLX_MANAGED : config.values.LLAMACPP_MANAGED,
          url,
          pid: pid ?? undefined,
          running: pid ? isProcessAlive(pid) : false,
          runs: engine === 'mlx' ? await resolveMlxPython(config, store) : await resolveLlamaBinary(config, store),
        });
      }
      if (options.json) return printJson(rows);
      printTable(
        ['ENGINE', 'MANAGED', 'URL', 'RUNNING', 'PID', 'BINARY'],
        rows.map((r) => [r.engine, r.managed ? 'yes' : 'no', r.url, r.running ? 'yes' : 'no', r.pid, r.runs]),
      );
    });
}
