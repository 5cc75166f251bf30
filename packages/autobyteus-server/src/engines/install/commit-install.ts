import { randomBytes } from 'node:crypto';
import { rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { engineDir, TRASH_PREFIX } from '../manifest/engine-layout.js';
import type { EngineManifestStore } from '../manifest/engine-manifest-store.js';
import { type InstallReceipt, receiptToEntry, writeReceipt } from '../manifest/install-receipt.js';
import type { EngineRecord, EngineVersionEntry } from '../manifest/manifest-schema.js';
import type { EngineName } from '../specs/engine-name.js';

/** A version that is installed (in its folder, with receipt and manifest entry). */
export interface InstalledEngine {
  engine: EngineName;
  version: string;
  /** `engines/<engine>/<version>`. */
  dir: string;
  /** What runs: the llama-server binary, or the Python of an MLX venv. */
  path: string;
  entry: EngineVersionEntry;
  /** Whether this version is now the active one. */
  active: boolean;
}

/**
 * Proves an installed engine works, e.g. starts it and waits until it serves. Throws to fail.
 * Receives the path of what runs (binary or Python) and the whole install.
 */
export type SmokeTest = (path: string, installed: InstalledEngine) => Promise<void>;

/** Where an install goes and what happens after it; shared by every installer. */
export interface InstallTarget {
  store: EngineManifestStore;
  /** Make the new version active (default true): after `smokeTest` passes, when one is given. */
  activate?: boolean;
  smokeTest?: SmokeTest;
  /** Replace an installed version of the same name (never the active one). */
  force?: boolean;
}

/** The version is already installed and `force` was not given (or it is active). */
export class EngineVersionExistsError extends Error {
  constructor(engine: EngineName, version: string, message?: string) {
    super(message ?? `${engine} ${version} is already installed; pass --force to reinstall it`);
    this.name = 'EngineVersionExistsError';
  }
}

/** A new version failed its smoke test: it was removed and the active version was left alone. */
export class SmokeTestFailedError extends Error {
  constructor(installed: InstalledEngine, active: string | null, cause: unknown) {
    const outcome =
      active === installed.version
        ? 'It was already the active version, so it was kept.'
        : `It was removed; ${active ? `${active} stays active` : 'no version was active and none is now'}.`;
    super(
      `${installed.engine} ${installed.version} failed its smoke test: ${(cause as Error)?.message ?? String(cause)}. ${outcome}`,
      { cause },
    );
    this.name = 'SmokeTestFailedError';
  }
}

/** Throws EngineVersionExistsError early (before a long download or build) when an install would be refused. */
export async function assertInstallable(target: InstallTarget, engine: EngineName, version: string): Promise<void> {
  refuseExisting((await target.store.read()).engines[engine], engine, version, target.force);
}

/**
 * The one rule for installing over a version: only with `force`. Forcing over the active version is
 * how a build that does not fit this CPU is rebuilt in place (`engines install llama-cpp --force`): the
 * old folder is swapped out under the manifest lock, and a running engine keeps its already mapped binary.
 */
function refuseExisting(record: EngineRecord, engine: EngineName, version: string, force: boolean | undefined): void {
  if (!(version in record.versions) || force) return;
  throw new EngineVersionExistsError(
    engine,
    version,
    record.active === version
      ? `${engine} ${version} is installed and active; pass --force to replace it (a rebuild of the same version)`
      : undefined,
  );
}

/** What an installer knows about the version it staged. */
export interface StagedInstall {
  engine: EngineName;
  version: string;
  stagingDir: string;
  receipt: Omit<InstallReceipt, 'receipt' | 'engine' | 'version' | 'installedAt'>;
  /** For records that are only a receipt (external Python): replace even the active one. */
  replaceable?: boolean;
}

/**
 * Puts a staged install in place: writes its receipt, renames the staging folder to
 * `engines/<engine>/<version>` and adds the manifest entry, all under the manifest lock (so two
 * installs of one version cannot interleave). Then runs the smoke test and activates (see
 * activateAfterSmokeTest).
 */
export async function commitInstall(target: InstallTarget, staged: StagedInstall): Promise<InstalledEngine> {
  const { store } = target;
  const { engine, version, stagingDir } = staged;
  const finalDir = store.versionDir(engine, version);
  const receipt: InstallReceipt = {
    ...staged.receipt,
    receipt: 1,
    engine,
    version,
    installedAt: new Date().toISOString(),
  };
  await writeReceipt(stagingDir, receipt);
  const trash = join(
    engineDir(store.enginesDir, engine),
    `${TRASH_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  let trashed = false;
  let placed = false;
  try {
    await store.update(async (manifest) => {
      const record = manifest.engines[engine];
      if (!staged.replaceable) refuseExisting(record, engine, version, target.force);
      // A folder the manifest does not list is left over from a crash: replaceable.
      if (await exists(finalDir)) {
        await rename(finalDir, trash);
        trashed = true;
      }
      await rename(stagingDir, finalDir);
      placed = true;
      record.versions[version] = receiptToEntry(finalDir, receipt);
      return manifest;
    });
  } catch (error) {
    // Undo in reverse so the old version (if any) is back and the staging folder gets cleaned up.
    if (placed) await rename(finalDir, stagingDir).catch(() => {});
    if (trashed) await rename(trash, finalDir).catch(() => {});
    throw error;
  }
  if (trashed) await rm(trash, { recursive: true, force: true });
  const entry = receiptToEntry(finalDir, receipt);
  const installed: InstalledEngine = { engine, version, dir: finalDir, path: entry.path, entry, active: false };
  return activateAfterSmokeTest(store, installed, target);
}

/**
 * The last step of an install or upgrade: run the smoke test (if any) and only then activate.
 * A failed smoke test removes the new version and leaves the active one as it was.
 */
export async function activateAfterSmokeTest(
  store: EngineManifestStore,
  installed: InstalledEngine,
  options: { smokeTest?: SmokeTest; activate?: boolean },
): Promise<InstalledEngine> {
  if (options.smokeTest) {
    try {
      await options.smokeTest(installed.path, installed);
    } catch (cause) {
      const record = (await store.read()).engines[installed.engine];
      // Never delete what was already active before this install (a reinstall of the running version).
      if (record.active !== installed.version) await store.remove(installed.engine, installed.version);
      throw new SmokeTestFailedError(installed, record.active, cause);
    }
  }
  if (options.activate === false) return installed;
  await store.setActive(installed.engine, installed.version);
  return { ...installed, active: true };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
