import type { PlatformInfo } from './platform-info.js';

/**
 * The pip requirement that installs mlx-lm with a working MLX for this platform: plain `mlx-lm`
 * pulls MLX only on macOS; Linux needs the `[cpu]` or `[cuda12]` extra to get an MLX wheel at all.
 */
export function chooseMlxPackage(platform: PlatformInfo): string {
  if (platform.os === 'darwin') return 'mlx-lm';
  return platform.gpu.nvidia.found ? 'mlx-lm[cuda12]' : 'mlx-lm[cpu]';
}
