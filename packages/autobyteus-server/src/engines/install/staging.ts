import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isProcessAlive } from '../../io/process-liveness.js';
import { engineDir, STAGING_PREFIX, TRASH_PREFIX } from '../manifest/engine-layout.js';
import type { EngineName } from '../specs/engine-name.js';

/**
 * Deletes staging and trash folders left by installs or removals that were killed. Their names
 * carry the pid of the process that made them, so folders of installs still running are kept.
 */
export async function removeAbandonedFolders(enginesDir: string, engine: EngineName): Promise<void> {
  const dir = engineDir(enginesDir, engine);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const prefix = [STAGING_PREFIX, TRASH_PREFIX].find((p) => name.startsWith(p));
    if (!prefix) continue;
    const pid = Number.parseInt(name.slice(prefix.length), 10);
    if (Number.isInteger(pid) && pid !== process.pid && !isProcessAlive(pid)) {
      await rm(join(dir, name), { recursive: true, force: true });
    }
  }
}

/**
 * Runs an install in a fresh staging folder inside `engines/<engine>/` (same file system as the
 * final folder, so the final rename is atomic). Whatever happens, the staging folder is gone
 * afterwards: renamed into place by a successful install, deleted otherwise.
 */
export async function withStaging<T>(
  enginesDir: string,
  engine: EngineName,
  fn: (stagingDir: string) => Promise<T>,
): Promise<T> {
  const dir = engineDir(enginesDir, engine);
  await mkdir(dir, { recursive: true });
  await removeAbandonedFolders(enginesDir, engine);
  const staging = await mkdtemp(join(dir, `${STAGING_PREFIX}${process.pid}-`));
  try {
    return await fn(staging);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}
