import { describe, expect, it } from 'vitest';
import {
  chooseLlamaBuild,
  releaseAssetName,
  UnsupportedBackendError,
} from '../../src/engines/platform/choose-llama-build.js';
import { chooseMlxPackage } from '../../src/engines/platform/choose-mlx-package.js';
import { parseCpuInfo } from '../../src/engines/platform/cpu-features.js';
import { describePlatform } from '../../src/engines/platform/describe-platform.js';
import { detectPlatform, type PlatformProbes } from '../../src/engines/platform/detect-platform.js';
import { parseNvidiaSmiList, parseVulkanSummary } from '../../src/engines/platform/gpu-detection.js';
import type { PlatformInfo } from '../../src/engines/platform/platform-info.js';

type Overrides = {
  os?: NodeJS.Platform;
  arch?: string;
  nvidia?: boolean;
  vulkan?: 'hardware' | 'software' | 'none';
  nvcc?: boolean;
  features?: PlatformInfo['cpu']['features'];
};

function platform(o: Overrides = {}): PlatformInfo {
  const os = o.os ?? 'linux';
  const arch = o.arch ?? 'x64';
  const vulkan = o.vulkan ?? 'none';
  return {
    os,
    arch,
    cpu: { model: 'Test CPU', features: o.features === undefined ? ['avx', 'avx2', 'fma', 'f16c'] : o.features },
    gpu: {
      nvidia: o.nvidia
        ? { found: true, via: 'nvidia-smi', devices: [{ name: 'NVIDIA H100 80GB HBM3' }] }
        : { found: false, via: 'none', devices: [] },
      vulkan:
        vulkan === 'none'
          ? { available: false, via: 'none', devices: [] }
          : {
              available: true,
              via: 'vulkaninfo',
              devices: [
                vulkan === 'hardware'
                  ? { name: 'AMD Radeon RX 7900', software: false }
                  : { name: 'llvmpipe (LLVM 15.0.6, 256 bits)', software: true },
              ],
            },
      metal: os === 'darwin' && arch === 'arm64',
    },
    tools: {
      cmake: 'cmake version 3.25.1',
      git: 'git version 2.39.5',
      ninja: '1.11.1',
      nvcc: o.nvcc ? 'Build cuda_12.4' : null,
    },
  };
}

describe('chooseLlamaBuild', () => {
  const table: Array<
    [string, Overrides, Parameters<typeof chooseLlamaBuild>[1], Partial<ReturnType<typeof chooseLlamaBuild>>]
  > = [
    [
      'Linux x64, no GPU',
      {},
      'auto',
      { backend: 'cpu', method: 'release', asset: 'llama-<tag>-bin-ubuntu-x64.tar.gz' },
    ],
    [
      'Linux arm64, no GPU',
      { arch: 'arm64' },
      'auto',
      { backend: 'cpu', method: 'release', asset: 'llama-<tag>-bin-ubuntu-arm64.tar.gz' },
    ],
    [
      'Linux x64, NVIDIA + CUDA toolkit',
      { nvidia: true, nvcc: true },
      'auto',
      { backend: 'cuda', method: 'source', cmakeFlags: ['-DGGML_CUDA=ON'] },
    ],
    [
      'Linux x64, NVIDIA, no toolkit, Vulkan driver',
      { nvidia: true, vulkan: 'hardware' },
      'auto',
      { backend: 'vulkan', method: 'release', asset: 'llama-<tag>-bin-ubuntu-vulkan-x64.tar.gz' },
    ],
    [
      'Linux x64, NVIDIA, no toolkit, no Vulkan',
      { nvidia: true },
      'auto',
      { backend: 'cpu', method: 'release', asset: 'llama-<tag>-bin-ubuntu-x64.tar.gz' },
    ],
    [
      'Linux x64, AMD GPU via Vulkan',
      { vulkan: 'hardware' },
      'auto',
      { backend: 'vulkan', method: 'release', asset: 'llama-<tag>-bin-ubuntu-vulkan-x64.tar.gz' },
    ],
    [
      'Linux x64, only llvmpipe',
      { vulkan: 'software' },
      'auto',
      { backend: 'cpu', method: 'release', asset: 'llama-<tag>-bin-ubuntu-x64.tar.gz' },
    ],
    ['Linux x64, cuda asked', {}, 'cuda', { backend: 'cuda', method: 'source', cmakeFlags: ['-DGGML_CUDA=ON'] }],
    [
      'Linux x64, vulkan asked',
      {},
      'vulkan',
      { backend: 'vulkan', method: 'release', asset: 'llama-<tag>-bin-ubuntu-vulkan-x64.tar.gz' },
    ],
    [
      'Linux x64, cpu asked with NVIDIA',
      { nvidia: true, nvcc: true },
      'cpu',
      { backend: 'cpu', method: 'release', asset: 'llama-<tag>-bin-ubuntu-x64.tar.gz' },
    ],
    [
      'Linux arm64, vulkan asked (no asset)',
      { arch: 'arm64' },
      'vulkan',
      { backend: 'vulkan', method: 'source', cmakeFlags: ['-DGGML_VULKAN=ON'] },
    ],
    [
      'Linux arm64, NVIDIA + toolkit',
      { arch: 'arm64', nvidia: true, nvcc: true },
      'auto',
      { backend: 'cuda', method: 'source', cmakeFlags: ['-DGGML_CUDA=ON'] },
    ],
    [
      'macOS arm64',
      { os: 'darwin', arch: 'arm64' },
      'auto',
      { backend: 'metal', method: 'release', asset: 'llama-<tag>-bin-macos-arm64.tar.gz' },
    ],
    [
      'macOS arm64, metal asked',
      { os: 'darwin', arch: 'arm64' },
      'metal',
      { backend: 'metal', method: 'release', asset: 'llama-<tag>-bin-macos-arm64.tar.gz' },
    ],
    [
      'macOS x64',
      { os: 'darwin', arch: 'x64' },
      'auto',
      { backend: 'cpu', method: 'release', asset: 'llama-<tag>-bin-macos-x64.tar.gz' },
    ],
    [
      'Windows x64, no GPU',
      { os: 'win32' },
      'auto',
      { backend: 'cpu', method: 'release', asset: 'llama-<tag>-bin-win-cpu-x64.zip' },
    ],
    [
      'Windows x64, NVIDIA',
      { os: 'win32', nvidia: true },
      'auto',
      { backend: 'cuda', method: 'release', asset: 'llama-<tag>-bin-win-cuda-12.4-x64.zip' },
    ],
    [
      'Windows x64, Vulkan GPU',
      { os: 'win32', vulkan: 'hardware' },
      'auto',
      { backend: 'vulkan', method: 'release', asset: 'llama-<tag>-bin-win-vulkan-x64.zip' },
    ],
    [
      'Windows x64, vulkan asked',
      { os: 'win32' },
      'vulkan',
      { backend: 'vulkan', method: 'release', asset: 'llama-<tag>-bin-win-vulkan-x64.zip' },
    ],
    ['FreeBSD x64 (no releases)', { os: 'freebsd' }, 'auto', { backend: 'cpu', method: 'source', cmakeFlags: [] }],
  ];

  it.each(table)('%s', (_name, overrides, setting, expected) => {
    const choice = chooseLlamaBuild(platform(overrides), setting);
    expect(choice).toMatchObject(expected);
    if (choice.method === 'source') expect(choice.asset).toBeUndefined();
    else expect(choice.cmakeFlags).toEqual([]);
    expect(choice.reasons.length).toBeGreaterThan(0);
  });

  it('explains the Linux CUDA source build in words', () => {
    const { reasons } = chooseLlamaBuild(platform({ nvidia: true, nvcc: true }), 'auto');
    expect(reasons.join('\n')).toContain(
      'NVIDIA GPU found (nvidia-smi: NVIDIA H100 80GB HBM3): CUDA build; llama.cpp publishes no Linux CUDA binaries, so it is built from source',
    );
  });

  it('warns when a forced CUDA build lacks the toolkit or the GPU', () => {
    const { reasons } = chooseLlamaBuild(platform(), 'cuda');
    expect(reasons.join('\n')).toMatch(/nvcc\) is not on PATH/);
    expect(reasons.join('\n')).toMatch(/no NVIDIA GPU was detected/);
  });

  it('says why the Vulkan build was chosen over CUDA when nvcc is missing', () => {
    const { reasons } = chooseLlamaBuild(platform({ nvidia: true, vulkan: 'hardware' }), 'auto');
    expect(reasons.join('\n')).toMatch(/no CUDA toolkit \(nvcc\).*Vulkan build, which also runs on NVIDIA/);
  });

  it('refuses backends that cannot exist on the platform, saying what to use', () => {
    expect(() => chooseLlamaBuild(platform({ os: 'darwin', arch: 'arm64' }), 'cuda')).toThrow(UnsupportedBackendError);
    expect(() => chooseLlamaBuild(platform({ os: 'darwin', arch: 'arm64' }), 'cuda')).toThrow(/use metal/);
    expect(() => chooseLlamaBuild(platform(), 'metal')).toThrow(/Metal needs macOS on Apple silicon/);
    expect(() => chooseLlamaBuild(platform({ os: 'darwin', arch: 'x64' }), 'metal')).toThrow(/use cpu/);
    expect(() => chooseLlamaBuild(platform({ os: 'darwin', arch: 'arm64' }), 'vulkan')).toThrow(
      UnsupportedBackendError,
    );
  });

  it('mentions missing AVX2 for x64 CPU builds', () => {
    const { reasons } = chooseLlamaBuild(platform({ features: ['avx'] }), 'cpu');
    expect(reasons.join('\n')).toMatch(/no AVX2/);
  });

  it('fills the tag into asset patterns', () => {
    expect(releaseAssetName('llama-<tag>-bin-ubuntu-x64.tar.gz', 'b6000')).toBe('llama-b6000-bin-ubuntu-x64.tar.gz');
  });
});

describe('chooseMlxPackage', () => {
  it('picks the pip extra that brings a working MLX', () => {
    expect(chooseMlxPackage(platform({ os: 'darwin', arch: 'arm64' }))).toBe('mlx-lm');
    expect(chooseMlxPackage(platform())).toBe('mlx-lm[cpu]');
    expect(chooseMlxPackage(platform({ nvidia: true }))).toBe('mlx-lm[cuda12]');
  });
});

describe('platform probes', () => {
  it('reads CPU model and features from /proc/cpuinfo', () => {
    const info = parseCpuInfo(
      'processor\t: 0\nmodel name\t: AMD EPYC 7B13\nflags\t\t: fpu sse2 avx f16c fma avx2 avx512f avx512bw\n\nprocessor\t: 1\n',
    );
    expect(info).toEqual({ model: 'AMD EPYC 7B13', features: ['avx', 'avx2', 'avx512f', 'fma', 'f16c'] });
    expect(parseCpuInfo('processor\t: 0\nFeatures\t: fp asimd\n').features).toEqual([]);
  });

  it('parses nvidia-smi -L and vulkaninfo --summary', () => {
    expect(
      parseNvidiaSmiList('GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1234)\nGPU 1: Tesla T4 (UUID: GPU-5)\n'),
    ).toEqual([{ name: 'NVIDIA H100 80GB HBM3' }, { name: 'Tesla T4' }]);
    expect(parseNvidiaSmiList("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.")).toEqual(
      [],
    );
    const vulkan = `Devices:
========
GPU0:
\tapiVersion         = 1.3.255
\tdeviceType         = PHYSICAL_DEVICE_TYPE_DISCRETE_GPU
\tdeviceName         = AMD Radeon RX 7900 XTX
GPU1:
\tdeviceType         = PHYSICAL_DEVICE_TYPE_CPU
\tdeviceName         = llvmpipe (LLVM 15.0.6, 256 bits)
`;
    expect(parseVulkanSummary(vulkan)).toEqual([
      { name: 'AMD Radeon RX 7900 XTX', software: false },
      { name: 'llvmpipe (LLVM 15.0.6, 256 bits)', software: true },
    ]);
  });

  function fakeProbes(
    files: Record<string, string>,
    commands: Record<string, string>,
    dirs: Record<string, string[]> = {},
  ): PlatformProbes {
    return {
      os: () => 'linux',
      arch: () => 'x64',
      readFile: (path) => files[path] ?? null,
      listDir: (path) => dirs[path] ?? [],
      run: async (command, args) => commands[[command, ...args].join(' ')] ?? null,
    };
  }

  it('detects an NVIDIA GPU through /proc/driver/nvidia when nvidia-smi is missing', async () => {
    const info = await detectPlatform(
      fakeProbes(
        {
          '/proc/cpuinfo': 'model name\t: Test\nflags\t: avx avx2\n',
          '/proc/driver/nvidia/version': 'NVRM version: 550',
          '/proc/driver/nvidia/gpus/0000:01:00.0/information': 'Model: \t\t NVIDIA A100-SXM4-40GB\nIRQ: 1\n',
        },
        { 'cmake --version': 'cmake version 3.25.1\n\nCMake suite' },
        { '/proc/driver/nvidia/gpus': ['0000:01:00.0'] },
      ),
    );
    expect(info.gpu.nvidia).toEqual({
      found: true,
      via: '/proc/driver/nvidia',
      devices: [{ name: 'NVIDIA A100-SXM4-40GB' }],
    });
    expect(info.gpu.vulkan.available).toBe(false);
    expect(info.cpu.features).toEqual(['avx', 'avx2']);
    expect(info.tools).toEqual({ cmake: 'cmake version 3.25.1', git: null, ninja: null, nvcc: null });
    const lines = describePlatform(info);
    expect(lines).toContain('NVIDIA GPU: NVIDIA A100-SXM4-40GB (via /proc/driver/nvidia)');
    expect(lines.join('\n')).toMatch(/missing: avx512f fma f16c/);
    expect(lines).toContain('Vulkan: vulkaninfo not available');
    expect(chooseLlamaBuild(info, 'auto').backend).toBe('cpu');
  });

  it('prefers nvidia-smi and reads nvcc from its last line', async () => {
    const info = await detectPlatform(
      fakeProbes(
        {},
        {
          'nvidia-smi -L': 'GPU 0: NVIDIA L4 (UUID: GPU-x)\n',
          'nvcc --version': 'nvcc: NVIDIA (R) Cuda compiler driver\nBuild cuda_12.4.r12.4/compiler.33961263_0\n',
        },
      ),
    );
    expect(info.gpu.nvidia.via).toBe('nvidia-smi');
    expect(info.tools.nvcc).toBe('Build cuda_12.4.r12.4/compiler.33961263_0');
    expect(chooseLlamaBuild(info, 'auto')).toMatchObject({ backend: 'cuda', method: 'source' });
  });

  it('describes this machine without throwing', async () => {
    const info = await detectPlatform();
    expect(info.os).toBe(process.platform);
    expect(describePlatform(info)[0]).toMatch(/^OS: /);
  });
});
