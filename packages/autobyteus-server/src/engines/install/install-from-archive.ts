import { cp, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { ChecksumMismatchError } from '../../io/download-errors.js';
import { normalizeSha256, sha256File } from '../../io/hash.js';
import type { ArchiveLimits } from './archive-guard.js';
import { assertInstallable, commitInstall, type InstalledEngine, type InstallTarget } from './commit-install.js';
import {
  ensureExecutable,
  findLlamaServer,
  moveLlamaServerToBin,
  readLlamaServerVersion,
} from './llama-server-binary.js';
import { safeExtract } from './safe-extract.js';
import { withStaging } from './staging.js';

export interface ArchiveInstallOptions extends InstallTarget {
  /** A .tar.gz/.tgz/.zip archive, or a folder with llama-server somewhere inside. */
  from: string;
  /** Expected sha256: of the archive, or of the llama-server binary for a folder. */
  sha256?: string;
  /** Version name (`--version`); else read from `llama-server --version`, else `sha-<digest prefix>`. */
  version?: string;
  limits?: ArchiveLimits;
}

/**
 * Installs a pre-bundled llama-server (an archive or a folder, e.g. shipped with a desktop app or
 * copied from another machine) as `engines/llama-cpp/<version>/bin/`. The folder holding
 * llama-server is taken whole, so shared libraries next to it come along.
 */
export async function installFromArchiveOrFolder(options: ArchiveInstallOptions): Promise<InstalledEngine> {
  const from = resolve(options.from);
  const isFolder = (await stat(from)).isDirectory();
  const expected = options.sha256 ? normalizeSha256(options.sha256) : null;
  if (options.version) await assertInstallable(options, 'llama-cpp', options.version);

  return withStaging(options.store.enginesDir, 'llama-cpp', async (staging) => {
    let binary: string;
    let checksum: string;
    if (isFolder) {
      const found = await findLlamaServer(from);
      if (!found) throw new Error(`no llama-server binary found in ${from}`);
      checksum = await sha256File(found);
      if (expected && checksum !== expected) {
        throw new ChecksumMismatchError(expected, checksum, relative(from, found), '--sha256');
      }
      // verbatimSymlinks: keep relative library links (libfoo.so -> libfoo.so.1) as they are.
      await cp(dirname(found), join(staging, 'bin'), { recursive: true, verbatimSymlinks: true });
      binary = join(staging, 'bin', basename(found));
      await ensureExecutable(binary);
    } else {
      checksum = await sha256File(from);
      if (expected && checksum !== expected)
        throw new ChecksumMismatchError(expected, checksum, basename(from), '--sha256');
      const unpacked = join(staging, 'unpacked');
      await safeExtract(from, unpacked, options.limits);
      binary = await moveLlamaServerToBin(unpacked, staging, from);
    }
    const version = options.version ?? (await readLlamaServerVersion(binary)).version ?? `sha-${checksum.slice(0, 12)}`;
    if (!options.version) await assertInstallable(options, 'llama-cpp', version);
    return commitInstall(options, {
      engine: 'llama-cpp',
      version,
      stagingDir: staging,
      receipt: { source: 'prebundled', path: relative(staging, binary), checksum, origin: from },
    });
  });
}
