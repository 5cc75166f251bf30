import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces a file so that readers see either the old or the new contents, never a mix, even if
 * this process is killed mid-write: the data goes to a temporary file in the same folder (same
 * file system, so rename is atomic), is fsynced, and is renamed over the target. The folder is
 * fsynced afterwards so the rename itself survives a power loss (where the OS supports it).
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = join(dirname(path), `${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    const handle = await open(temp, 'wx', 0o644);
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  await fsyncDir(dirname(path));
}

async function fsyncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Windows cannot open folders for fsync; the rename is still atomic there.
  }
}

/** True for temporary files writeFileAtomic leaves behind when killed (cleaned up by the next writer). */
export function isAtomicTempOf(target: string, candidate: string): boolean {
  return candidate.startsWith(`${basename(target)}.tmp-`);
}
