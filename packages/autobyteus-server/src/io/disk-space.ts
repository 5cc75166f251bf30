import { statfs } from 'node:fs/promises';
import { DiskFullError } from './download-errors.js';

/** Bytes an unprivileged writer may still use on the file system holding `folder`. */
export async function freeBytes(folder: string): Promise<number> {
  const stats = await statfs(folder);
  return Number(stats.bavail) * Number(stats.bsize);
}

/**
 * Throws {@link DiskFullError} when `neededBytes` more do not fit on the file system of `folder`.
 * Run before a transfer starts, so a pull that cannot fit fails at once instead of filling the disk.
 * A file system that cannot report its free space is not an error (the writes will tell).
 */
export async function assertRoomFor(folder: string, neededBytes: number, url: string, detail?: string): Promise<void> {
  let free: number;
  try {
    free = await freeBytes(folder);
  } catch {
    return;
  }
  if (neededBytes > free) throw new DiskFullError(url, folder, neededBytes, free, detail);
}

/** True for the errno codes of a full disk or quota. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
