import { join } from 'node:path';
import type { Logger } from 'pino';
import type { ServerConfig } from '../config/server-config.js';
import { redactUrl } from '../io/redact-url.js';
import type { InstalledEngine, SmokeTest } from './install/commit-install.js';
import { installFromArchiveOrFolder } from './install/install-from-archive.js';
import { installFromRelease } from './install/install-from-release.js';
import { installFromSource } from './install/install-from-source.js';
import { installMlxVenv } from './install/install-mlx-venv.js';
import { readLlamaServerVersion } from './install/llama-server-binary.js';
import { resolveReleaseTag } from './install/resolve-release-tag.js';
import type { SourceSpec } from './install/source-checkout.js';
import { upgradeEngine } from './install/upgrade-engine.js';
import { createLlamaEngine } from './managed-engines.js';
import type { EngineManifestStore } from './manifest/engine-manifest-store.js';
import { chooseLlamaBuild, type LlamaBackendSetting, releaseAssetName } from './platform/choose-llama-build.js';
import { detectPlatform } from './platform/detect-platform.js';
import { resolveLlamaModel } from './specs/llama-cpp.js';

/** What the user asked `engines install|upgrade llama-cpp` for. */
export interface LlamaInstallRequest {
  /** Pre-bundled archive or folder (`--from`). */
  from?: string;
  sha256?: string;
  version?: string;
  /** `auto` = release download, falling back to a source build; or force one of them. */
  method?: 'auto' | 'release' | 'source';
  tag?: string;
  source?: string;
  allowUnverified?: boolean;
  force?: boolean;
  /** Start the new build with the default model and wait for readiness before activating it. */
  smoke?: boolean;
}

export interface InstallReporter {
  log(message: string): void;
  progress?(fraction: number, detail?: string): void;
}

/** `npm:pkg@ver`, `git:url#ref`, `bundle:file`, `checkout:dir` → the installer's source spec. */
export function parseSourceSetting(text: string): SourceSpec {
  const [kind, ...rest] = text.split(':');
  const value = rest.join(':');
  switch (kind) {
    case 'npm':
      return { kind: 'npm-tarball', spec: value };
    case 'git': {
      const [url, ref] = value.split('#');
      return { kind: 'git', url: url ?? '', ref: ref || 'master' };
    }
    case 'bundle':
      return { kind: 'bundle', path: value };
    case 'checkout':
      return { kind: 'checkout', path: value };
    default:
      throw new Error(
        `LLAMACPP_SOURCE "${text}": expected npm:<package@version>, git:<url>#<ref>, bundle:<file> or checkout:<folder>`,
      );
  }
}

/**
 * A smoke test that starts the new llama-server with the default model on a spare port and waits
 * for readiness; without a default model it checks that the binary runs (`--version`).
 */
export function llamaSmokeTest(config: ServerConfig, logger: Logger, reporter: InstallReporter): SmokeTest {
  return async (binary) => {
    const model = resolveLlamaModel(config);
    if (!model) {
      const { version, output } = await readLlamaServerVersion(binary);
      if (!version) throw new Error(`llama-server --version did not report a version: ${output.slice(-300)}`);
      reporter.log(`smoke test: ${binary} runs (${version}); no default model to start it with`);
      return;
    }
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    reporter.log(`smoke test: starting ${binary} with ${model} on port ${port}`);
    const engine = createLlamaEngine({
      config,
      logger,
      binary,
      modelPath: model,
      hostUrl: `http://127.0.0.1:${port}`,
    });
    try {
      await engine.start();
      reporter.log('smoke test: ready');
    } finally {
      await engine.stop();
    }
  };
}

/**
 * Installs llama.cpp the way the request and the platform say: a pre-bundled archive or folder; or
 * the official release asset for this platform, falling back to a source build when there is no
 * asset (Linux + CUDA) or the download fails (offline machines).
 */
export async function installLlamaCpp(
  request: LlamaInstallRequest,
  context: {
    config: ServerConfig;
    store: EngineManifestStore;
    logger: Logger;
    reporter: InstallReporter;
    upgrade?: boolean;
  },
): Promise<InstalledEngine> {
  const { config, store, reporter } = context;
  const v = config.values;
  const smokeTest = request.smoke === false ? undefined : llamaSmokeTest(config, context.logger, reporter);
  const run = (
    install: (target: {
      store: EngineManifestStore;
      activate?: boolean;
      smokeTest?: SmokeTest;
      force?: boolean;
    }) => Promise<InstalledEngine>,
  ) =>
    context.upgrade
      ? upgradeEngine({
          store,
          install: () => install({ store, activate: false, force: request.force }),
          smokeTest: smokeTest ?? (async () => {}),
        })
      : install({ store, smokeTest, force: request.force });

  if (request.from) {
    reporter.log(`installing llama.cpp from ${request.from}`);
    return run((target) =>
      installFromArchiveOrFolder({ ...target, from: request.from!, sha256: request.sha256, version: request.version }),
    );
  }
  const platform = await detectPlatform();
  const choice = chooseLlamaBuild(platform, v.LLAMACPP_BACKEND as LlamaBackendSetting);
  for (const reason of choice.reasons) reporter.log(reason);
  const method = request.method ?? 'auto';
  const source = async () => {
    const spec = parseSourceSetting(request.source ?? v.LLAMACPP_SOURCE);
    reporter.log(
      `building llama-server from source (${request.source ?? v.LLAMACPP_SOURCE}); output is logged, progress below`,
    );
    return run((target) =>
      installFromSource({
        ...target,
        source: spec,
        cmakeFlags: choice.cmakeFlags,
        buildCacheDir: v.LLAMACPP_BUILD_CACHE ?? join(config.home, 'cache', 'llama-builds'),
        onOutput: (line) => context.logger.debug({ build: line }),
        onProgress: (fraction) => reporter.progress?.(fraction, 'build'),
        onWarning: (message) => reporter.log(`warning: ${message}`),
      }),
    );
  };
  if (method === 'source' || (method === 'auto' && (choice.method === 'source' || !choice.asset))) return source();
  try {
    const tag = await resolveReleaseTag(v.LLAMACPP_RELEASE_URL, request.tag ?? v.LLAMACPP_RELEASE_TAG);
    const asset = releaseAssetName(choice.asset ?? '', tag);
    reporter.log(`downloading ${asset} (${tag}) from ${redactUrl(v.LLAMACPP_RELEASE_URL)}`);
    return await run((target) =>
      installFromRelease({
        ...target,
        baseUrl: v.LLAMACPP_RELEASE_URL,
        tag,
        asset,
        sha256: request.sha256,
        allowUnverified: request.allowUnverified,
        onLog: (message) => reporter.log(message),
        onProgress: (received, total) => reporter.progress?.(total ? received / total : 0, 'download'),
      }),
    );
  } catch (error) {
    if (method === 'release') throw error;
    reporter.log(`release download failed (${(error as Error).message}); falling back to a source build`);
    return source();
  }
}

/** Installs MLX: records `MLX_PYTHON_BIN` when set, else creates a managed venv with mlx-lm. */
export async function installMlx(context: {
  config: ServerConfig;
  store: EngineManifestStore;
  reporter: InstallReporter;
  force?: boolean;
}): Promise<InstalledEngine> {
  context.reporter.log(
    context.config.values.MLX_PYTHON_BIN
      ? `recording MLX_PYTHON_BIN ${context.config.values.MLX_PYTHON_BIN}`
      : 'creating a Python venv with mlx-lm (pip install; a few minutes)',
  );
  return installMlxVenv({
    store: context.store,
    force: context.force,
    pythonBin: context.config.values.MLX_PYTHON_BIN,
    onOutput: (line) => context.reporter.log(line),
  });
}
