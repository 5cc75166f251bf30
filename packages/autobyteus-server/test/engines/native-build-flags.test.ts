import { describe, expect, it } from 'vitest';
import { LLAMA_BASE_CMAKE_FLAGS, nativeBuildSafetyFlags } from '../../src/engines/install/cmake-build.js';

const cpuinfo = (flags: string) => `processor\t: 0\nmodel name\t: Test CPU\nflags\t\t: ${flags}\n\n`;

describe('native llama.cpp builds never use AMX', () => {
  it('turns AMX off where the CPU reports it (VMs that report AMX but trap it: SIGILL in ggml)', () => {
    const flags = nativeBuildSafetyFlags(cpuinfo('fpu sse avx2 avx512f amx_bf16 amx_tile amx_int8'));
    expect(flags).toEqual([
      '-DCMAKE_C_FLAGS=-mno-amx-tile -mno-amx-int8 -mno-amx-bf16',
      '-DCMAKE_CXX_FLAGS=-mno-amx-tile -mno-amx-int8 -mno-amx-bf16',
    ]);
  });

  it('adds nothing where there is no AMX (older compilers do not know the flags)', () => {
    expect(nativeBuildSafetyFlags(cpuinfo('fpu sse avx2 avx512f'))).toEqual([]);
    expect(nativeBuildSafetyFlags('Features\t: fp asimd\n')).toEqual([]);
    expect(nativeBuildSafetyFlags('')).toEqual([]);
  });
});

describe('the base llama.cpp build flags', () => {
  it('are these, in this order (the order is part of the build cache key), with the RPC backend on', () => {
    expect(LLAMA_BASE_CMAKE_FLAGS).toEqual([
      '-DCMAKE_BUILD_TYPE=Release',
      '-DLLAMA_BUILD_TESTS=OFF',
      '-DLLAMA_BUILD_EXAMPLES=OFF',
      '-DLLAMA_USE_PREBUILT_UI=OFF',
      '-DLLAMA_BUILD_WEBUI=OFF',
      '-DGGML_NATIVE=ON',
      '-DBUILD_SHARED_LIBS=OFF',
      '-DGGML_RPC=ON',
    ]);
  });
});
