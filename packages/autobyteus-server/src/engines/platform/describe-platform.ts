import { CPU_FEATURES, type PlatformInfo } from './platform-info.js';

const OS_NAMES: Partial<Record<NodeJS.Platform, string>> = { linux: 'Linux', darwin: 'macOS', win32: 'Windows' };

/** Human lines describing a detected platform, for `engines doctor`: what was found and how. */
export function describePlatform(platform: PlatformInfo): string[] {
  const lines: string[] = [];
  lines.push(`OS: ${OS_NAMES[platform.os] ?? platform.os} ${platform.arch}`);

  const { model, features } = platform.cpu;
  if (features === null) {
    lines.push(`CPU: ${model ?? 'unknown model'} (features not read: /proc/cpuinfo is Linux-only)`);
  } else {
    const missing = CPU_FEATURES.filter((f) => !features.includes(f));
    lines.push(
      `CPU: ${model ?? 'unknown model'}; features: ${features.join(' ') || 'none'}` +
        (missing.length ? ` (missing: ${missing.join(' ')})` : ''),
    );
  }

  const { nvidia, vulkan, metal } = platform.gpu;
  lines.push(
    nvidia.found
      ? `NVIDIA GPU: ${nvidia.devices.map((d) => d.name).join(', ')} (via ${nvidia.via})`
      : 'NVIDIA GPU: none (nvidia-smi -L found none and /proc/driver/nvidia lists none)',
  );
  if (vulkan.via === 'none') {
    lines.push('Vulkan: vulkaninfo not available');
  } else {
    lines.push(
      vulkan.devices.length
        ? `Vulkan: ${vulkan.devices.map((d) => `${d.name}${d.software ? ' (software renderer)' : ''}`).join(', ')}`
        : 'Vulkan: vulkaninfo runs but reports no device',
    );
  }
  lines.push(metal ? 'Metal: available (Apple silicon)' : 'Metal: not available (needs macOS on Apple silicon)');

  const tool = (name: keyof PlatformInfo['tools']) => platform.tools[name] ?? 'not found';
  lines.push(
    `Build tools: cmake: ${tool('cmake')}; ninja: ${tool('ninja')}; git: ${tool('git')}; nvcc: ${tool('nvcc')}`,
  );
  return lines;
}
