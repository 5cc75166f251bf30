import { hasHardwareVulkan, type PlatformInfo } from './platform-info.js';

/** The `LLAMACPP_BACKEND` setting. */
export type LlamaBackendSetting = 'auto' | 'cpu' | 'cuda' | 'vulkan' | 'metal';
export type LlamaBackend = Exclude<LlamaBackendSetting, 'auto'>;

/** How to get a llama-server for this machine, and why. */
export interface LlamaBuildChoice {
  /** The backend the setting resolved to (auto is never returned). */
  backend: LlamaBackend;
  /** 'release' = download an official archive; 'source' = build with CMake. */
  method: 'release' | 'source';
  /** Release asset name with a `<tag>` placeholder (see releaseAssetName), for method 'release'. */
  asset?: string;
  /** Backend-specific CMake flags for method 'source' (the installer adds the common ones). */
  cmakeFlags: string[];
  /** Human sentences explaining the choice, for `engines doctor` and install logs. */
  reasons: string[];
}

/** The asked-for backend cannot exist on this platform. */
export class UnsupportedBackendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedBackendError';
  }
}

/** Official release assets (ggml-org/llama.cpp), by `os/arch/backend`. Everything else is built from source. */
const RELEASE_ASSETS: Record<string, string> = {
  'linux/x64/cpu': 'llama-<tag>-bin-ubuntu-x64.tar.gz',
  'linux/arm64/cpu': 'llama-<tag>-bin-ubuntu-arm64.tar.gz',
  'linux/x64/vulkan': 'llama-<tag>-bin-ubuntu-vulkan-x64.tar.gz',
  // The macOS arm64 release always contains Metal; CPU-only use is `--n-gpu-layers 0`.
  'darwin/arm64/metal': 'llama-<tag>-bin-macos-arm64.tar.gz',
  'darwin/arm64/cpu': 'llama-<tag>-bin-macos-arm64.tar.gz',
  'darwin/x64/cpu': 'llama-<tag>-bin-macos-x64.tar.gz',
  'win32/x64/cpu': 'llama-<tag>-bin-win-cpu-x64.zip',
  'win32/x64/cuda': 'llama-<tag>-bin-win-cuda-12.4-x64.zip',
  'win32/x64/vulkan': 'llama-<tag>-bin-win-vulkan-x64.zip',
  'win32/arm64/cpu': 'llama-<tag>-bin-win-cpu-arm64.zip',
};

const BACKEND_FLAGS: Record<LlamaBackend, string[]> = {
  cpu: [],
  cuda: ['-DGGML_CUDA=ON'],
  vulkan: ['-DGGML_VULKAN=ON'],
  metal: ['-DGGML_METAL=ON'],
};

/** The concrete asset name for a release tag: `releaseAssetName('llama-<tag>-bin-ubuntu-x64.tar.gz', 'b6000')`. */
export function releaseAssetName(pattern: string, tag: string): string {
  return pattern.replaceAll('<tag>', tag);
}

function nvidiaSentence(platform: PlatformInfo): string {
  const { nvidia } = platform.gpu;
  const names = nvidia.devices.map((d) => d.name).join(', ');
  return `NVIDIA GPU found (${nvidia.via}${names ? `: ${names}` : ''})`;
}

/** Picks the backend for 'auto': the fastest one that can actually be installed here. */
function resolveAuto(platform: PlatformInfo, reasons: string[]): LlamaBackend {
  const { os, arch, gpu, tools } = platform;
  if (os === 'darwin') {
    if (arch === 'arm64') {
      reasons.push('Apple silicon (macOS arm64): Metal build');
      return 'metal';
    }
    reasons.push('Intel Mac: CPU build (Metal builds are published only for Apple silicon)');
    return 'cpu';
  }
  const vulkanRelease = RELEASE_ASSETS[`${os}/${arch}/vulkan`] !== undefined;
  if (gpu.nvidia.found) {
    if (os === 'win32' && RELEASE_ASSETS[`${os}/${arch}/cuda`]) {
      reasons.push(`${nvidiaSentence(platform)}: CUDA build`);
      return 'cuda';
    }
    if (os === 'linux' && tools.nvcc) {
      return 'cuda';
    }
    if (vulkanRelease && hasHardwareVulkan(platform)) {
      reasons.push(
        `${nvidiaSentence(platform)}, but no CUDA toolkit (nvcc) to build the CUDA backend from source ` +
          '(llama.cpp publishes no Linux CUDA binaries): using the Vulkan build, which also runs on NVIDIA GPUs. ' +
          'Install the CUDA toolkit and set LLAMACPP_BACKEND=cuda for the CUDA build',
      );
      return 'vulkan';
    }
    reasons.push(
      `${nvidiaSentence(platform)}, but no CUDA toolkit (nvcc) to build the CUDA backend from source ` +
        '(llama.cpp publishes no Linux CUDA binaries) and no Vulkan driver: CPU build. ' +
        'Install the CUDA toolkit and set LLAMACPP_BACKEND=cuda to use the GPU',
    );
    return 'cpu';
  }
  if (vulkanRelease && hasHardwareVulkan(platform)) {
    const names = platform.gpu.vulkan.devices.filter((d) => !d.software).map((d) => d.name);
    reasons.push(`Vulkan GPU found (vulkaninfo: ${names.join(', ')}): Vulkan build`);
    return 'vulkan';
  }
  reasons.push('no usable GPU found (no NVIDIA driver, no Vulkan GPU): CPU build');
  return 'cpu';
}

function cpuSentence(platform: PlatformInfo): string | null {
  const { features } = platform.cpu;
  if (features === null || platform.arch !== 'x64') return null;
  if (!features.includes('avx2')) {
    return `CPU has no AVX2 (${features.join(', ') || 'none of avx, avx2, fma, f16c'}): expect slow CPU inference`;
  }
  return `CPU features: ${features.join(', ')}`;
}

/**
 * Decides how to get llama-server for a platform and backend setting. Pure: everything it knows
 * comes from `platform`. Encodes llama.cpp's release facts: Linux x64/arm64 CPU and Linux x64 Vulkan,
 * macOS and Windows have official binaries; Linux CUDA does not, so it is built from source.
 * Throws UnsupportedBackendError for a backend that cannot exist on the platform (CUDA on macOS, ...).
 */
export function chooseLlamaBuild(platform: PlatformInfo, backendSetting: LlamaBackendSetting): LlamaBuildChoice {
  const { os, arch } = platform;
  const reasons: string[] = [];
  const backend = backendSetting === 'auto' ? resolveAuto(platform, reasons) : backendSetting;
  if (backendSetting !== 'auto') reasons.push(`backend set to ${backend} (LLAMACPP_BACKEND)`);

  if (backend === 'cuda' && os === 'darwin') {
    throw new UnsupportedBackendError('CUDA is not available on macOS: use metal (Apple silicon) or cpu');
  }
  if (backend === 'metal' && !(os === 'darwin' && arch === 'arm64')) {
    throw new UnsupportedBackendError(
      `Metal needs macOS on Apple silicon (this is ${os} ${arch}): use ${os === 'darwin' ? 'cpu' : 'cpu, cuda or vulkan'}`,
    );
  }
  if (backend === 'vulkan' && os === 'darwin') {
    throw new UnsupportedBackendError('Vulkan builds are not supported on macOS: use metal (Apple silicon) or cpu');
  }
  if (backend === 'cuda' && os === 'win32' && arch !== 'x64') {
    throw new UnsupportedBackendError(`CUDA builds for Windows exist only for x64 (this is ${arch}): use cpu`);
  }

  const cpu = cpuSentence(platform);
  const asset = RELEASE_ASSETS[`${os}/${arch}/${backend}`];
  if (asset) {
    if (cpu && backend === 'cpu') reasons.push(cpu);
    if (backend === 'cuda' && os === 'win32') {
      reasons.push(
        'the Windows CUDA build also needs the CUDA 12.4 runtime DLLs (release asset cudart-llama-bin-win-cuda-12.4-x64.zip) unless the CUDA toolkit is installed',
      );
    }
    reasons.push(`official release asset ${asset}`);
    return { backend, method: 'release', asset, cmakeFlags: [], reasons };
  }

  if (backend === 'cuda' && os === 'linux') {
    reasons.push(
      `${platform.gpu.nvidia.found ? nvidiaSentence(platform) : 'CUDA asked for'}: CUDA build; ` +
        'llama.cpp publishes no Linux CUDA binaries, so it is built from source',
    );
    if (!platform.gpu.nvidia.found) reasons.push('no NVIDIA GPU was detected on this machine');
    if (!platform.tools.nvcc) reasons.push('the CUDA toolkit (nvcc) is not on PATH: the source build needs it');
  } else {
    reasons.push(`llama.cpp publishes no ${backend} release for ${os} ${arch}, so it is built from source`);
    if (backend === 'vulkan') reasons.push('the Vulkan source build needs the Vulkan SDK headers and glslc');
  }
  if (!platform.tools.cmake) reasons.push('cmake is not on PATH: the source build needs it');
  return { backend, method: 'source', cmakeFlags: [...BACKEND_FLAGS[backend]], reasons };
}
