import { CPU_FEATURES, type CpuFeature } from './platform-info.js';

/**
 * Reads the CPU model and the features we care about from the text of Linux's /proc/cpuinfo.
 * Only the first processor block is read: all cores of one machine share the instruction set.
 * ARM kernels name the line `Features` instead of `flags`; neither has our x86 features then.
 */
export function parseCpuInfo(text: string): { model: string | null; features: CpuFeature[] } {
  const field = (name: string) => {
    const match = new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text);
    return match?.[1]?.trim() ?? null;
  };
  const flags = new Set((field('flags') ?? field('Features') ?? '').split(/\s+/).filter(Boolean));
  return {
    model: field('model name') ?? field('Model') ?? field('Hardware'),
    features: CPU_FEATURES.filter((feature) => flags.has(feature)),
  };
}
