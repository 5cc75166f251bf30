import type { Logger } from 'pino';
import type { ServerConfig } from '../config/server-config.js';
import {
  type InstallReporter,
  installLlamaCpp,
  installMlx,
  type LlamaInstallRequest,
} from '../engines/engine-installer.js';
import {
  EngineVersionExistsError,
  type InstalledEngine,
  SmokeTestFailedError,
} from '../engines/install/commit-install.js';
import { EngineManifestError, EngineManifestStore } from '../engines/manifest/engine-manifest-store.js';
import type { EngineName } from '../engines/specs/engine-name.js';
import { ENGINE_SPECS } from '../engines/specs/engine-spec.js';
import { classifyDownloadFailure, DownloadError } from '../io/download-errors.js';
import { redactUrl } from '../io/redact-url.js';
import type { ModelServer } from '../serving/model-server.js';
import type { BackgroundJobs, JobContext, JobFailure, JobView } from './background-jobs.js';
import { describeDownloadFailure } from './download-job-failure.js';

/** An engine operation refused before it starts; `status`/`code` are the HTTP answer's. */
export class EngineRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'EngineRequestError';
  }
}

/** What `POST /api/engines/:engine/upgrade` may ask for (llama.cpp; MLX takes nothing). */
export interface UpgradeRequest {
  /** llama.cpp release tag (default LLAMACPP_RELEASE_TAG). */
  tag?: string;
  /** `release` (the default here: no surprise source build from a button), `source`, or `auto` as the CLI does. */
  method?: 'release' | 'source' | 'auto';
}

/** What an upgrade job returns. */
export interface UpgradeOutcome {
  engine: EngineName;
  version: string;
  /** The version it replaced as active (null: none, or the same). */
  replaced: string | null;
  /** True when this server's next loads start the new version; false: restart the server to use it. */
  inUse: boolean;
}

interface Upgrader {
  run(request: UpgradeRequest, context: UpgradeContext): Promise<InstalledEngine>;
  /**
   * True when the upgrade rewrites files in place that a running model uses (an MLX venv reinstalled
   * under the same version), so it is refused while models of the engine are loaded. llama.cpp
   * installs each version in its own folder and activates it after a smoke test on a spare port.
   */
  replacesInPlace: boolean;
}

interface UpgradeContext {
  config: ServerConfig;
  store: EngineManifestStore;
  logger: Logger;
  reporter: InstallReporter;
}

/** How each engine is upgraded: the CLI's installers (`engines upgrade`), one row per engine. */
const UPGRADERS: Record<EngineName, Upgrader> = {
  'llama-cpp': {
    replacesInPlace: false,
    run: (request, context) => {
      const llama: LlamaInstallRequest = { method: request.method ?? 'release', tag: request.tag };
      return installLlamaCpp(llama, { ...context, upgrade: true });
    },
  },
  mlx: {
    replacesInPlace: true,
    run: (_request, { config, store, reporter }) => installMlx({ config, store, reporter, force: true }),
  },
};

/**
 * Engine upgrades (as background jobs) and rollbacks for the admin API, through the CLI's installer
 * and manifest store. Refused with 409: while the engine's program is pinned by configuration (the
 * upgrade would not change what runs), while another upgrade of it runs (a second upgrade joins it),
 * and for MLX while its models are loaded. A llama.cpp upgrade or a rollback with models loaded is
 * allowed: they keep their process and its binary; the next loads start the new active version.
 */
export class EngineUpgrades {
  private readonly store: EngineManifestStore;
  private readonly listeners: Array<() => Promise<void>> = [];

  constructor(
    private readonly deps: {
      config: ServerConfig;
      logger: Logger;
      jobs: BackgroundJobs;
      models?: ModelServer;
      store?: EngineManifestStore;
    },
  ) {
    this.store = deps.store ?? EngineManifestStore.forHome(deps.config.home);
  }

  /** Calls `listener` (and waits for it) after each change of the active version, before the job ends. */
  onChange(listener: () => Promise<void>): void {
    this.listeners.push(listener);
  }

  private async changed(): Promise<void> {
    for (const listener of this.listeners) await listener();
  }

  /** Starts (or joins) the upgrade of `engine`. */
  async upgrade(engine: EngineName, request: UpgradeRequest): Promise<{ job: JobView; joined: boolean }> {
    await this.refuseWhenPinned(engine);
    const upgrader = UPGRADERS[engine];
    if (upgrader.replacesInPlace) this.refuseWhenLoaded(engine, 'upgrade');
    return this.deps.jobs.start(
      'engine-upgrade',
      jobKey(engine),
      engine,
      (context) => this.runUpgrade(engine, request, context),
      (error) => describeEngineFailure(error, this.deps.config),
    );
  }

  /** Makes the previous version active again (instant: no job). */
  async rollback(engine: EngineName): Promise<{ from: string | null; to: string; inUse: boolean }> {
    if (this.deps.jobs.live(jobKey(engine))) {
      throw new EngineRequestError(409, 'engine_busy', `an upgrade of ${engine} is running; roll back once it ended`);
    }
    await this.refuseWhenPinned(engine);
    try {
      const result = await this.store.rollback(engine);
      await this.changed();
      return { ...result, inUse: await this.useActive(engine) };
    } catch (error) {
      if (error instanceof EngineManifestError) throw new EngineRequestError(409, 'no_previous_version', error.message);
      throw error;
    }
  }

  private async runUpgrade(engine: EngineName, request: UpgradeRequest, job: JobContext): Promise<UpgradeOutcome> {
    const reporter: InstallReporter = {
      log: (message) => job.progress({ message }),
      progress: (fraction, detail) =>
        job.progress({ phase: detail === 'download' ? 'downloading' : (detail ?? 'installing'), fraction }),
    };
    job.progress({ phase: 'installing' });
    const before = (await this.store.read()).engines[engine].active;
    const installed = await UPGRADERS[engine].run(request, {
      config: this.deps.config,
      store: this.store,
      logger: this.deps.logger,
      reporter,
    });
    await this.changed();
    job.progress({ phase: 'done', fraction: 1 });
    return {
      engine,
      version: installed.version,
      replaced: before === installed.version ? null : before,
      inUse: await this.useActive(engine),
    };
  }

  /** Points this server's next loads of `engine` at its active version. */
  private async useActive(engine: EngineName): Promise<boolean> {
    const program = await ENGINE_SPECS[engine].resolveProgram(this.deps.config, this.store);
    return program ? (this.deps.models?.useProgram(engine, program) ?? false) : false;
  }

  private async refuseWhenPinned(engine: EngineName): Promise<void> {
    const record = (await this.store.read()).engines[engine];
    const active = record.active ? record.versions[record.active]?.path : undefined;
    const program = await ENGINE_SPECS[engine].resolveProgram(this.deps.config, this.store);
    if (program && program !== active) {
      throw new EngineRequestError(
        409,
        'engine_pinned',
        `${engine} runs a program set in the configuration, not an installed version: upgrades and rollbacks would not change what runs (unset it, e.g. LLAMACPP_BINARY_PATH or MLX_PYTHON_BIN, to run installed versions)`,
      );
    }
  }

  private refuseWhenLoaded(engine: EngineName, what: string): void {
    const loaded = (this.deps.models?.ps() ?? []).filter((m) => m.engine === engine).map((m) => m.id);
    if (loaded.length === 0) return;
    throw new EngineRequestError(
      409,
      'engine_in_use',
      `the ${engine} ${what} replaces files its loaded models run (${loaded.join(', ')}): unload them first (POST /api/models/<name>/unload)`,
    );
  }
}

function jobKey(engine: EngineName): string {
  return `engine\0${engine}`;
}

/**
 * A failed upgrade as the job shows it. A download failure says whether the release site could not be
 * reached, answered errors, cut the transfer or sent a corrupt file, and what to do
 * ({@link describeDownloadFailure}); an archive that does not match its expected sha256 is one of those
 * (502), not a failure of the server.
 */
export function describeEngineFailure(error: unknown, config: ServerConfig): JobFailure {
  const message = error instanceof Error ? error.message : String(error);
  const failure = classifyDownloadFailure(error);
  if (failure) {
    return describeDownloadFailure(failure, message, {
      name: 'the llama.cpp release site',
      setting: 'LLAMACPP_RELEASE_URL',
      value: redactUrl(config.values.LLAMACPP_RELEASE_URL),
      alternative:
        'upgrade on the server machine from an archive: autobyteus-server engines upgrade llama-cpp --from <archive>',
    });
  }
  if (error instanceof EngineVersionExistsError) return { message, code: 'version_installed', status: 409 };
  if (error instanceof SmokeTestFailedError) return { message, code: 'smoke_test_failed', status: 500 };
  if (error instanceof DownloadError) return { message, code: 'download_failed', status: 502 };
  return { message, code: 'upgrade_failed', status: 500 };
}
