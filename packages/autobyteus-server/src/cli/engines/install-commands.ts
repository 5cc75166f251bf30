import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { ServerConfig } from '../../config/server-config.js';
import {
  type InstallReporter,
  installLlamaCpp,
  installMlx,
  type LlamaInstallRequest,
} from '../../engines/engine-installer.js';
import type { InstalledEngine } from '../../engines/install/commit-install.js';
import { EngineManifestStore } from '../../engines/manifest/engine-manifest-store.js';
import type { EngineName } from '../../engines/specs/engine-name.js';
import { TerminalLine } from '../../logging/terminal-line.js';
import { cliContext, type GlobalOptions } from '../cli-context.js';
import { stderrReporter } from '../install-reporter.js';
import { ENGINE_ARG_HELP, engineArg } from './engine-arg.js';

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

interface InstallContext {
  config: ServerConfig;
  store: EngineManifestStore;
  logger: Logger;
  reporter: InstallReporter;
  upgrade: boolean;
}

function llamaRequest(flags: InstallFlags): LlamaInstallRequest {
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

/** How each engine is installed from the command's flags (MLX takes only --force). */
const INSTALLERS: Record<EngineName, (flags: InstallFlags, context: InstallContext) => Promise<InstalledEngine>> = {
  'llama-cpp': (flags, context) => installLlamaCpp(llamaRequest(flags), context),
  mlx: (flags, { config, store, reporter }) => installMlx({ config, store, reporter, force: flags.force }),
};

function withInstallOptions(command: Command): Command {
  return command
    .argument('<engine>', ENGINE_ARG_HELP)
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

/** `engines install|upgrade <engine>`. */
export function registerInstallCommands(engines: Command): void {
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
      // The build/download percentage and warnings logged meanwhile share stderr: one live line.
      const terminalLine = new TerminalLine(process.stderr);
      const { config, logger } = cliContext(command.optsWithGlobals<GlobalOptions>(), undefined, terminalLine);
      const store = EngineManifestStore.forHome(config.home);
      const reporter = stderrReporter(terminalLine);
      const install = INSTALLERS[engineArg(name)];
      const installed = await install(flags, { config, store, logger, reporter, upgrade: verb === 'upgrade' });
      for (const warning of store.warnings) reporter.log(`warning: ${warning}`);
      console.log(
        `${installed.engine} ${installed.version} installed at ${installed.dir}${installed.active ? ' (active)' : ''}`,
      );
    });
  }
}
