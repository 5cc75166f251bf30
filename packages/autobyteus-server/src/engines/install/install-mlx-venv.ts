import { join, relative } from 'node:path';
import { chooseMlxPackage } from '../platform/choose-mlx-package.js';
import { detectPlatform } from '../platform/detect-platform.js';
import { assertInstallable, commitInstall, type InstalledEngine, type InstallTarget } from './commit-install.js';
import { CommandNotFoundError, outputTail, runCommand } from './run-command.js';
import { withStaging } from './staging.js';

/**
 * The mlx-lm release a new venv gets. Pinned so that two installs (and every test run) serve with
 * the same code; raise it deliberately, together with the tests that run mlx_lm.server.
 */
export const MLX_LM_VERSION = '0.32.2';

/** The pip requirement for a new venv: the platform's mlx-lm package (with its MLX extra) at MLX_LM_VERSION. */
export function mlxPipSpec(packageName: string, version = MLX_LM_VERSION): string {
  return `${packageName}==${version}`;
}

export interface MlxInstallOptions extends InstallTarget {
  /** A Python that already has mlx-lm (`MLX_PYTHON_BIN`): recorded as is, nothing installed. */
  pythonBin?: string;
  /** pip requirement for a new venv (default: chooseMlxPackage for this machine, at MLX_LM_VERSION). */
  spec?: string;
  /** Python used to create the venv (default `python3`). */
  systemPython?: string;
  /** pip and venv output lines. */
  onOutput?: (line: string) => void;
  signal?: AbortSignal;
}

/** The Python cannot serve MLX; the message says what is missing and what to do. */
export class MlxPythonError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MlxPythonError';
  }
}

/**
 * Imports MLX itself as well as mlx-lm: on Linux, mlx-lm installs without a usable MLX unless an
 * extra ([cpu], [cuda12]) was chosen. Prints the real executable (keeps a venv's own path) and
 * the mlx-lm version from the installed distribution's metadata.
 */
const PROBE = [
  'import importlib.metadata, json, sys',
  'import mlx.core, mlx_lm',
  'print(json.dumps({"python": sys.executable, "mlx_lm": importlib.metadata.version("mlx-lm")}))',
].join('\n');

async function probeMlxPython(python: string, hint: string): Promise<{ python: string; mlxLm: string }> {
  let result: Awaited<ReturnType<typeof runCommand>>;
  try {
    result = await runCommand(python, ['-c', PROBE], { timeoutMs: 120_000 });
  } catch (error) {
    if (error instanceof CommandNotFoundError) {
      throw new MlxPythonError(`Python ${python} was not found or cannot run (${hint})`);
    }
    throw error;
  }
  if (result.code !== 0) {
    const last = result.stderr.trim().split('\n').at(-1) ?? '';
    throw new MlxPythonError(
      `${python} cannot import mlx_lm and mlx (${last || `exit ${result.code}`}); ` +
        `install them into it (pip install "mlx-lm[cpu]" on Linux, "mlx-lm" on macOS) or ${hint}`,
    );
  }
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  const parsed = JSON.parse(line) as { python: string; mlx_lm: string };
  return { python: parsed.python, mlxLm: parsed.mlx_lm };
}

/**
 * Installs the MLX engine (mlx_lm.server), recorded as `engines/mlx/<version>/`:
 * - with `pythonBin` (MLX_PYTHON_BIN): checks that it imports mlx_lm and records it as version
 *   `<mlx-lm version>-external` (a folder holding only the receipt; nothing is installed);
 * - otherwise: `python3 -m venv` + `pip install <spec>` in a staging folder, version = the
 *   installed mlx-lm version. The engine is always launched as `<venv python> -m mlx_lm.server`,
 *   which keeps working after the staging folder is renamed (console-script shebangs would not).
 */
export async function installMlxVenv(options: MlxInstallOptions): Promise<InstalledEngine> {
  if (options.pythonBin) {
    const probe = await probeMlxPython(
      options.pythonBin,
      'fix MLX_PYTHON_BIN, or unset it to let autobyteus create its own venv',
    );
    return withStaging(options.store.enginesDir, 'mlx', (staging) =>
      commitInstall(options, {
        engine: 'mlx',
        version: `${probe.mlxLm}-external`,
        stagingDir: staging,
        receipt: { source: 'venv', path: probe.python, origin: `MLX_PYTHON_BIN=${options.pythonBin}` },
        replaceable: true,
      }),
    );
  }

  const spec = options.spec ?? mlxPipSpec(chooseMlxPackage(await detectPlatform()));
  const systemPython = options.systemPython ?? 'python3';
  const run = async (command: string, args: string[], step: string) => {
    let result: Awaited<ReturnType<typeof runCommand>>;
    try {
      result = await runCommand(command, args, {
        ...(options.onOutput ? { onLine: options.onOutput } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } catch (error) {
      if (error instanceof CommandNotFoundError) {
        throw new MlxPythonError(`${command} was not found: install Python 3.10 or newer (or set MLX_PYTHON_BIN)`);
      }
      throw error;
    }
    if (result.code !== 0) throw new MlxPythonError(`${step} failed:\n${outputTail(result, 15)}`);
  };

  return withStaging(options.store.enginesDir, 'mlx', async (staging) => {
    const venv = join(staging, 'venv');
    await run(
      systemPython,
      ['-m', 'venv', venv],
      `${systemPython} -m venv (on Debian/Ubuntu: apt-get install python3-venv)`,
    );
    const python = process.platform === 'win32' ? join(venv, 'Scripts', 'python.exe') : join(venv, 'bin', 'python');
    await run(
      python,
      ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', spec],
      `pip install ${spec} (mlx needs Python >= 3.10; on Linux glibc >= 2.35)`,
    );
    const probe = await probeMlxPython(python, `the venv at ${venv} is incomplete`);
    await assertInstallable(options, 'mlx', probe.mlxLm);
    return commitInstall(options, {
      engine: 'mlx',
      version: probe.mlxLm,
      stagingDir: staging,
      receipt: { source: 'venv', path: relative(staging, python), origin: `pip install ${spec}` },
    });
  });
}
