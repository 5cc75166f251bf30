import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { arch as osArch, platform as osPlatform } from 'node:os';
import { join } from 'node:path';
import { runCommand } from '../install/run-command.js';
import { parseCpuInfo } from './cpu-features.js';
import { parseNvidiaProcInformation, parseNvidiaSmiList, parseVulkanSummary } from './gpu-detection.js';
import type { GpuDevice, PlatformInfo } from './platform-info.js';

/** The machine as detectPlatform sees it; tests replace these to describe other machines. */
export interface PlatformProbes {
  os(): NodeJS.Platform;
  arch(): string;
  /** File contents, or null when missing/unreadable. */
  readFile(path: string): string | null;
  /** Entries of a folder, or [] when missing. */
  listDir(path: string): string[];
  /** Combined output of a command that exited 0, or null (not installed, failed, timed out). */
  run(command: string, args: string[]): Promise<string | null>;
}

/** Probes of the real machine. Commands get 5 s: a hung GPU driver must not hang `engines doctor`. */
export const SYSTEM_PROBES: PlatformProbes = {
  os: () => osPlatform(),
  arch: () => osArch(),
  readFile: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return null;
    }
  },
  listDir: (path) => {
    try {
      return existsSync(path) ? readdirSync(path) : [];
    } catch {
      return [];
    }
  },
  run: async (command, args) => {
    try {
      const result = await runCommand(command, args, { timeoutMs: 5000, maxCapture: 64 * 1024 });
      return result.code === 0 ? `${result.stdout}\n${result.stderr}` : null;
    } catch {
      return null;
    }
  },
};

async function detectNvidia(probes: PlatformProbes): Promise<PlatformInfo['gpu']['nvidia']> {
  const smi = await probes.run('nvidia-smi', ['-L']);
  const smiDevices = smi ? parseNvidiaSmiList(smi) : [];
  if (smiDevices.length > 0) return { found: true, via: 'nvidia-smi', devices: smiDevices };
  // Containers often have the driver but not the nvidia-smi tool.
  if (probes.os() === 'linux' && probes.readFile('/proc/driver/nvidia/version') !== null) {
    const devices: GpuDevice[] = [];
    for (const bus of probes.listDir('/proc/driver/nvidia/gpus')) {
      const info = probes.readFile(join('/proc/driver/nvidia/gpus', bus, 'information'));
      const device = info ? parseNvidiaProcInformation(info) : null;
      devices.push(device ?? { name: `NVIDIA GPU at ${bus}` });
    }
    if (devices.length > 0) return { found: true, via: '/proc/driver/nvidia', devices };
  }
  return { found: false, via: 'none', devices: [] };
}

async function detectVulkan(probes: PlatformProbes): Promise<PlatformInfo['gpu']['vulkan']> {
  const summary = await probes.run('vulkaninfo', ['--summary']);
  if (summary === null) return { available: false, via: 'none', devices: [] };
  const devices = parseVulkanSummary(summary);
  return { available: devices.length > 0, via: 'vulkaninfo', devices };
}

async function toolVersion(probes: PlatformProbes, command: string): Promise<string | null> {
  const output = await probes.run(command, ['--version']);
  if (output === null) return null;
  const lines = output.split('\n').filter((l) => l.trim());
  // nvcc puts its version on the last line; every other tool on the first.
  return (command === 'nvcc' ? lines.at(-1) : lines[0])?.trim() ?? command;
}

/** Detects OS, architecture, CPU features, GPUs and build tools. Never throws: unknowns are reported as absent. */
export async function detectPlatform(probes: PlatformProbes = SYSTEM_PROBES): Promise<PlatformInfo> {
  const os = probes.os();
  const arch = probes.arch();
  let cpu: PlatformInfo['cpu'] = { model: null, features: null };
  if (os === 'linux') {
    const cpuinfo = probes.readFile('/proc/cpuinfo');
    if (cpuinfo !== null) cpu = parseCpuInfo(cpuinfo);
  }
  const [nvidia, vulkan, cmake, git, ninja, nvcc] = await Promise.all([
    detectNvidia(probes),
    detectVulkan(probes),
    toolVersion(probes, 'cmake'),
    toolVersion(probes, 'git'),
    toolVersion(probes, 'ninja'),
    toolVersion(probes, 'nvcc'),
  ]);
  return {
    os,
    arch,
    cpu,
    gpu: { nvidia, vulkan, metal: os === 'darwin' && arch === 'arm64' },
    tools: { cmake, git, ninja, nvcc },
  };
}
