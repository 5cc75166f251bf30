import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { CommandNotFoundError, type CommandResult, outputTail, runCommand } from './run-command.js';

/**
 * CMake flags every llama-server build gets, in a fixed order (the order is part of the build cache
 * key, and matches the builds the shell-built test cache holds). Static (BUILD_SHARED_LIBS=OFF):
 * the binary alone is the engine. No tests/examples: only the server is built. No prebuilt web UI:
 * its download fails offline. GGML_NATIVE: the build runs on the machine that built it.
 */
export const LLAMA_BASE_CMAKE_FLAGS: readonly string[] = [
  '-DCMAKE_BUILD_TYPE=Release',
  '-DLLAMA_BUILD_TESTS=OFF',
  '-DLLAMA_BUILD_EXAMPLES=OFF',
  '-DLLAMA_USE_PREBUILT_UI=OFF',
  '-DLLAMA_BUILD_WEBUI=OFF',
  '-DGGML_NATIVE=ON',
  '-DBUILD_SHARED_LIBS=OFF',
];

/**
 * Compiler flags that keep GGML_NATIVE from using AMX. Many virtual machines report AMX in
 * /proc/cpuinfo without enabling its register state, and a native build then dies with SIGILL in
 * its first matrix multiply (seen here: `tilezero` in ggml's AMX kernel). AMX only speeds up a few
 * quantisation types on large Xeons; a llama-server that runs matters more. Only added where the
 * CPU reports AMX, so older compilers that do not know the flags never see them.
 */
export function nativeBuildSafetyFlags(cpuinfo = readCpuInfo()): string[] {
  if (!/^flags\s*:.*\bamx_tile\b/m.test(cpuinfo)) return [];
  const noAmx = '-mno-amx-tile -mno-amx-int8 -mno-amx-bf16';
  return [`-DCMAKE_C_FLAGS=${noAmx}`, `-DCMAKE_CXX_FLAGS=${noAmx}`];
}

function readCpuInfo(): string {
  try {
    return readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return '';
  }
}

/** A CMake configure or build that failed; the message ends with the last lines of its output. */
export class BuildError extends Error {
  constructor(step: string, result: CommandResult) {
    super(`${step} failed (exit ${result.code ?? result.signal}):\n${outputTail(result, 30)}`);
    this.name = 'BuildError';
  }
}

/**
 * Progress of a build from one output line: Ninja's `[12/345] ...` (12/345) or Make's `[ 45%] ...`
 * (0.45). Null for other lines.
 */
export function parseBuildProgress(line: string): number | null {
  const ninja = /^\[(\d+)\/(\d+)\]/.exec(line);
  if (ninja) return Math.min(1, Number(ninja[1]) / Math.max(1, Number(ninja[2])));
  const make = /^\[\s*(\d+)%\]/.exec(line);
  if (make) return Math.min(1, Number(make[1]) / 100);
  return null;
}

export interface CmakeBuildOptions {
  sourceDir: string;
  buildDir: string;
  flags: readonly string[];
  target: string;
  /** Parallel jobs (default: every core). */
  jobs?: number;
  /** Every line cmake and the compiler print. */
  onOutput?: (line: string) => void;
  /** Build progress from 0 to 1, from Ninja/Make progress lines. */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

let ninjaAvailable: Promise<boolean> | undefined;
function hasNinja(): Promise<boolean> {
  ninjaAvailable ??= runCommand('ninja', ['--version'], { timeoutMs: 5000 }).then(
    (r) => r.code === 0,
    () => false,
  );
  return ninjaAvailable;
}

/** Configures and builds one CMake target, with Ninja when it is installed (faster, clearer progress). */
export async function cmakeBuild(options: CmakeBuildOptions): Promise<void> {
  const generator = (await hasNinja()) ? ['-G', 'Ninja'] : [];
  const onLine = (line: string) => {
    options.onOutput?.(line);
    const fraction = parseBuildProgress(line);
    if (fraction !== null) options.onProgress?.(fraction);
  };
  const common = { onLine, ...(options.signal ? { signal: options.signal } : {}) };
  const configure = await runCommand(
    'cmake',
    ['-S', options.sourceDir, '-B', options.buildDir, ...generator, ...options.flags],
    common,
  ).catch((error: unknown) => {
    if (error instanceof CommandNotFoundError) {
      throw new Error('cmake is not on PATH: install CMake and a C/C++ compiler to build llama.cpp from source', {
        cause: error,
      });
    }
    throw error;
  });
  if (configure.code !== 0) throw new BuildError('cmake configure', configure);
  const jobs = options.jobs ?? availableParallelism();
  const build = await runCommand(
    'cmake',
    ['--build', options.buildDir, '--target', options.target, '--parallel', String(jobs)],
    common,
  );
  if (build.code !== 0) throw new BuildError(`cmake build of ${options.target}`, build);
}
