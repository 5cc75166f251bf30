import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A tiny CMake project shaped like llama.cpp where it matters: targets `llama-server` and
 * `llama-quantize`, and, only with -DGGML_RPC=ON, `ggml-rpc-server` defined in tools/rpc (as
 * llama.cpp does); output in `<build>/bin/`, `--version` on stderr. It reports whether
 * -DGGML_CUDA=ON reached CMake, and has another target that must not be built. `broken` makes the
 * server's C source fail to compile, `brokenQuantize` the quantiser's, `brokenRpc` the RPC server's.
 */
export function fakeCmakeProject(
  options: { build?: number; broken?: boolean; brokenQuantize?: boolean; brokenRpc?: boolean } = {},
): string {
  const dir = mkdtempSync(join(tmpdir(), 'autobyteus-fake-llama-src-'));
  mkdirSync(join(dir, 'tools', 'rpc'), { recursive: true });
  writeFileSync(
    join(dir, 'CMakeLists.txt'),
    `cmake_minimum_required(VERSION 3.14)
project(fake_llama C)
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY \${CMAKE_BINARY_DIR}/bin)
add_executable(llama-server server.c)
if(GGML_CUDA)
  target_compile_definitions(llama-server PRIVATE FAKE_CUDA=1)
endif()
add_executable(llama-quantize quantize.c)
add_executable(other-tool other.c)
if(GGML_RPC)
  add_subdirectory(tools/rpc)
endif()
`,
  );
  writeFileSync(
    join(dir, 'tools', 'rpc', 'CMakeLists.txt'),
    `set(TARGET ggml-rpc-server)\nadd_executable(\${TARGET} rpc-server.c)\n`,
  );
  writeFileSync(
    join(dir, 'tools', 'rpc', 'rpc-server.c'),
    `int main(void) { ${options.brokenRpc ? 'rpc does not compile;' : ''} return 0; }\n`,
  );
  writeFileSync(
    join(dir, 'server.c'),
    `#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--version") == 0) {
    fprintf(stderr, "version: 0.4.0-dev (build ${options.build ?? 7}, commit abc1234)\\n");
#ifdef FAKE_CUDA
    fprintf(stderr, "backend: cuda\\n");
#else
    fprintf(stderr, "backend: cpu\\n");
#endif
    return 0;
  }
  ${options.broken ? 'this does not compile;' : ''}
  return 0;
}
`,
  );
  writeFileSync(
    join(dir, 'quantize.c'),
    `int main(void) { ${options.brokenQuantize ? 'quantize does not compile;' : ''} return 0; }\n`,
  );
  writeFileSync(join(dir, 'other.c'), 'int main(void) { return 0; }\n');
  return dir;
}
