import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { CommandNotFoundError, type CommandResult, outputTail, runCommand } from './run-command.js';

/**
 * CMake flags every llama-server build gets, in a fixed order (the order is part of the build cache
 * key). Static (BUILD_SHARED_LIBS=OFF): the binary alone is the engine. No tests/examples: only
 * LLAMA_BUILD_TARGETS are built. No prebuilt web UI: its download fails offline. GGML_NATIVE: the
 * build runs on the machine that built it. GGML_RPC: llama.cpp's RPC backend, so llama-server takes
 * `--rpc host:port,...` (LLAMACPP_RPC_SERVERS) and the RPC server target exists (`worker`).
 */
export const LLAMA_BASE_CMAKE_FLAGS: readonly string[] = [
  '-DCMAKE_BUILD_TYPE=Release',
  '-DLLAMA_BUILD_TESTS=OFF',
  '-DLLAMA_BUILD_EXAMPLES=OFF',
  '-DLLAMA_USE_PREBUILT_UI=OFF',
  '-DLLAMA_BUILD_WEBUI=OFF',
  '-DGGML_NATIVE=ON',
  '-DBUILD_SHARED_LIBS=OFF',
  '-DGGML_RPC=ON',
];

/**
 * The CMake targets a llama-server build builds, in one `cmake --build` invocation: llama-server
 * (required), llama-quantize and the RPC server (optional; they share ggml, so they cost little).
 * `rpc-server` stands for llama.cpp's RPC server target, whatever the source calls it
 * (rpcServerTarget: `ggml-rpc-server` in current sources). Part of the build cache key.
 */
export const LLAMA_BUILD_TARGETS: readonly string[] = ['llama-server', 'llama-quantize', 'rpc-server'];

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
  /** The target the build exists for: when it does not build, cmakeBuild throws. */
  target: string;
  /**
   * Targets built in the same `cmake --build` invocation (they share the compiled objects, so they
   * cost little) whose failure is not fatal: the required target is then built alone, then each
   * optional one alone (so one broken target costs only itself), and the failures are reported in
   * the result. A target the project does not have fails the same way.
   */
  optionalTargets?: readonly string[];
  /** Parallel jobs (default: every core). */
  jobs?: number;
  /** Every line cmake and the compiler print. */
  onOutput?: (line: string) => void;
  /** Build progress from 0 to 1, from Ninja/Make progress lines; never goes back. */
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

/** An optional target that did not build. */
export interface OptionalTargetFailure {
  target: string;
  /** The last lines of its build's output. */
  output: string;
}

/** What a build that succeeded left out. */
export interface CmakeBuildResult {
  /** The optional targets that did not build, in the order given; empty when all did. */
  optionalFailures: OptionalTargetFailure[];
}

let ninjaAvailable: Promise<boolean> | undefined;
function hasNinja(): Promise<boolean> {
  ninjaAvailable ??= runCommand('ninja', ['--version'], { timeoutMs: 5000 }).then(
    (r) => r.code === 0,
    () => false,
  );
  return ninjaAvailable;
}

/**
 * Configures and builds a CMake target (plus any optional ones), with Ninja when it is installed
 * (faster, clearer progress).
 */
export async function cmakeBuild(options: CmakeBuildOptions): Promise<CmakeBuildResult> {
  const generator = (await hasNinja()) ? ['-G', 'Ninja'] : [];
  let shown = 0;
  const onLine = (line: string) => {
    options.onOutput?.(line);
    const fraction = parseBuildProgress(line);
    // The fallback build of the required target alone counts its own, smaller total.
    if (fraction !== null && fraction >= shown) {
      shown = fraction;
      options.onProgress?.(fraction);
    }
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
  const jobs = String(options.jobs ?? availableParallelism());
  const build = (targets: readonly string[]) =>
    runCommand('cmake', ['--build', options.buildDir, '--target', ...targets, '--parallel', jobs], common);
  const optional = options.optionalTargets ?? [];
  if (optional.length > 0) {
    const all = await build([options.target, ...optional]);
    if (all.code === 0) return { optionalFailures: [] };
    options.signal?.throwIfAborted();
    // A failed target stops the build, maybe before the others were linked: build the required one
    // alone, then each optional one (the objects already compiled are reused).
    options.onOutput?.(`building ${[options.target, ...optional].join(', ')} one by one: not all of them built`);
  }
  const alone = await build([options.target]);
  if (alone.code !== 0) throw new BuildError(`cmake build of ${options.target}`, alone);
  const optionalFailures: OptionalTargetFailure[] = [];
  for (const target of optional) {
    const result = await build([target]);
    options.signal?.throwIfAborted();
    if (result.code !== 0) optionalFailures.push({ target, output: outputTail(result, 30) });
  }
  return { optionalFailures };
}
