import type { GpuDevice } from './platform-info.js';

/**
 * Parses `nvidia-smi -L`: one `GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-...)` line per device.
 * A driver that cannot talk to its GPU prints an error and no such lines: that counts as no GPU.
 */
export function parseNvidiaSmiList(output: string): GpuDevice[] {
  const devices: GpuDevice[] = [];
  for (const line of output.split('\n')) {
    const match = /^GPU \d+: (.+?)(?: \(UUID: [^)]*\))?\s*$/.exec(line.trim());
    if (match?.[1]) devices.push({ name: match[1] });
  }
  return devices;
}

/**
 * Parses `vulkaninfo --summary`: each device block has `deviceType = PHYSICAL_DEVICE_TYPE_...` and
 * `deviceName = ...`. CPU-type devices (Mesa's llvmpipe) are marked software: running llama.cpp's
 * Vulkan backend on them is slower than its CPU backend.
 */
export function parseVulkanSummary(output: string): GpuDevice[] {
  const devices: GpuDevice[] = [];
  let type: string | null = null;
  for (const raw of output.split('\n')) {
    const line = raw.trim();
    const typeMatch = /^deviceType\s*=\s*(\S+)/.exec(line);
    if (typeMatch?.[1]) type = typeMatch[1];
    const nameMatch = /^deviceName\s*=\s*(.+)$/.exec(line);
    if (nameMatch?.[1]) {
      const name = nameMatch[1].trim();
      const software = type === 'PHYSICAL_DEVICE_TYPE_CPU' || /llvmpipe|lavapipe|swiftshader/i.test(name);
      devices.push({ name, software });
      type = null;
    }
  }
  return devices;
}

/** Names the GPUs listed under /proc/driver/nvidia/gpus/<bus-id>/information (`Model: ...` line). */
export function parseNvidiaProcInformation(text: string): GpuDevice | null {
  const match = /^Model:\s*(.+)$/m.exec(text);
  return match?.[1] ? { name: match[1].trim() } : null;
}
