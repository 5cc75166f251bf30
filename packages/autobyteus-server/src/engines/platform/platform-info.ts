/** CPU instruction-set extensions that decide which llama.cpp CPU kernels can run. */
export const CPU_FEATURES = ['avx', 'avx2', 'avx512f', 'fma', 'f16c'] as const;
export type CpuFeature = (typeof CPU_FEATURES)[number];

/** How a fact was established, so `engines doctor` can say why it believes it. */
export type Evidence = 'nvidia-smi' | '/proc/driver/nvidia' | 'vulkaninfo' | 'os+arch' | 'none';

/** One GPU as a probe reported it. */
export interface GpuDevice {
  name: string;
  /** Vulkan only: software renderers (llvmpipe) are CPUs in disguise and do not count as GPUs. */
  software?: boolean;
}

/** Everything about this machine that matters when choosing and building an engine. */
export interface PlatformInfo {
  os: NodeJS.Platform;
  /** Node's names: 'x64', 'arm64', ... */
  arch: string;
  cpu: {
    model: string | null;
    /** Known features; null when they could not be read (not Linux, or /proc unreadable). */
    features: CpuFeature[] | null;
  };
  gpu: {
    nvidia: { found: boolean; via: Evidence; devices: GpuDevice[] };
    vulkan: { available: boolean; via: Evidence; devices: GpuDevice[] };
    /** Apple Metal: macOS on Apple silicon. */
    metal: boolean;
  };
  /** First line of `--version` of each build tool, or null when it is not on PATH. */
  tools: { cmake: string | null; git: string | null; ninja: string | null; nvcc: string | null };
}

/** True when at least one Vulkan device is real hardware (not a software renderer). */
export function hasHardwareVulkan(platform: PlatformInfo): boolean {
  return platform.gpu.vulkan.available && platform.gpu.vulkan.devices.some((d) => !d.software);
}
