import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { isAtomicTempOf, writeFileAtomic } from '../../io/atomic-write.js';
import { type FileLockOptions, withFileLock } from '../../io/file-lock.js';
import type { EngineName } from '../specs/engine-name.js';
import { assertValidVersion, enginesDirOf, MANIFEST_FILE, TRASH_PREFIX, versionDir } from './engine-layout.js';
import {
  describeIssues,
  type EngineManifest,
  type EngineRecord,
  emptyManifest,
  MANIFEST_VERSION,
  manifestSchema,
} from './manifest-schema.js';
import { rebuildManifest } from './rebuild-manifest.js';

export interface EngineManifestStoreOptions extends FileLockOptions {
  /** `$AUTOBYTEUS_HOME/engines`. */
  enginesDir: string;
  /** Receives warnings such as "the manifest was rebuilt" (default: dropped; see `warnings`). */
  onWarning?: (message: string) => void;
}

/** A manifest operation that the current state does not allow; the message says what to do instead. */
export class EngineManifestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineManifestError';
  }
}

type Loaded = { kind: 'ok'; manifest: EngineManifest } | { kind: 'missing' } | { kind: 'corrupt'; reason: string };

/**
 * `engines/manifest.json`: which engine versions are installed and which one runs.
 *
 * Every change goes through `update`: inter-process lock, fresh read, change, validation, atomic
 * write. Two CLI processes therefore never lose each other's changes, and a process killed at any
 * point leaves either the old or the new manifest. A missing or corrupt manifest is rebuilt from
 * the install receipts in the version folders (with a warning), never silently emptied.
 */
export class EngineManifestStore {
  readonly enginesDir: string;
  readonly path: string;
  /** Warnings raised by this store so far (also sent to `onWarning`). */
  readonly warnings: string[] = [];
  private readonly options: EngineManifestStoreOptions;

  constructor(options: EngineManifestStoreOptions) {
    this.options = options;
    this.enginesDir = options.enginesDir;
    this.path = join(options.enginesDir, MANIFEST_FILE);
  }

  /** The store of `$AUTOBYTEUS_HOME/engines`. */
  static forHome(home: string, options: Omit<EngineManifestStoreOptions, 'enginesDir'> = {}): EngineManifestStore {
    return new EngineManifestStore({ ...options, enginesDir: enginesDirOf(home) });
  }

  /** Folder of one installed version. */
  versionDir(engine: EngineName, version: string): string {
    return versionDir(this.enginesDir, engine, version);
  }

  /** The current manifest. Repairs (under the lock) a missing or corrupt one first. */
  async read(): Promise<EngineManifest> {
    const loaded = await this.load();
    if (loaded.kind === 'ok') return loaded.manifest;
    if (loaded.kind === 'missing' && !(await this.hasEngineFolders())) return emptyManifest();
    return this.locked(async () => this.loadOrRepair());
  }

  /**
   * Changes the manifest: `fn` gets a private copy of the current one and either edits it in place
   * or returns a replacement. The result is validated before it is written; a throw in `fn` writes
   * nothing. Keep `fn` short: other processes wait for the lock meanwhile.
   */
  async update(fn: (manifest: EngineManifest) => EngineManifest | undefined | Promise<EngineManifest | undefined>) {
    return this.locked(async (assertHeld) => {
      const current = await this.loadOrRepair();
      const draft = structuredClone(current);
      const next = (await fn(draft)) ?? draft;
      const checked = manifestSchema.safeParse(next);
      if (!checked.success) {
        throw new EngineManifestError(
          `refusing to write an invalid engines manifest: ${describeIssues(checked.error)}`,
        );
      }
      assertHeld();
      await writeFileAtomic(this.path, `${JSON.stringify(checked.data, null, 2)}\n`);
      return checked.data;
    });
  }

  /** Makes an installed version the active one; the one it replaces becomes `previous`. */
  async setActive(engine: EngineName, version: string): Promise<EngineManifest> {
    assertValidVersion(version);
    return this.update((manifest) => {
      const record = manifest.engines[engine];
      requireInstalled(engine, record, version);
      if (record.active !== version) {
        record.previous = record.active;
        record.active = version;
      }
      return manifest;
    });
  }

  /** Goes back to the previous version (calling it twice returns to where it started). */
  async rollback(engine: EngineName): Promise<{ from: string | null; to: string }> {
    let from: string | null = null;
    let to = '';
    await this.update((manifest) => {
      const record = manifest.engines[engine];
      if (record.previous === null) {
        throw new EngineManifestError(
          `${engine} has no previous version to roll back to (active: ${record.active ?? 'none'}; ` +
            `installed: ${Object.keys(record.versions).join(', ') || 'none'})`,
        );
      }
      from = record.active;
      to = record.previous;
      record.active = to;
      record.previous = from;
      return manifest;
    });
    return { from, to };
  }

  /**
   * Uninstalls a version: its manifest entry and its folder. The active version is refused (roll
   * back or activate another first) unless `force`, which leaves `previous` (or nothing) active.
   * The folder is first renamed aside, so a crash never leaves a half-deleted version that still
   * looks installed.
   */
  async remove(engine: EngineName, version: string, options: { force?: boolean } = {}): Promise<void> {
    const folder = this.versionDir(engine, version);
    const trash = join(this.enginesDir, engine, `${TRASH_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`);
    let moved = false;
    try {
      await this.update(async (manifest) => {
        const record = manifest.engines[engine];
        requireInstalled(engine, record, version);
        if (record.active === version && !options.force) {
          throw new EngineManifestError(
            `${engine} ${version} is the active version: roll back first (engines rollback ${engine}) ` +
              'or activate another version, or force the removal',
          );
        }
        try {
          await rename(folder, trash);
          moved = true;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
        delete record.versions[version];
        if (record.active === version) {
          record.active = record.previous;
          record.previous = null;
        }
        if (record.previous === version) record.previous = null;
        return manifest;
      });
    } catch (error) {
      // The manifest still lists the version: put its folder back.
      if (moved) await rename(trash, folder).catch(() => {});
      throw error;
    }
    if (moved) await rm(trash, { recursive: true, force: true });
  }

  private async locked<T>(fn: (assertHeld: () => void) => Promise<T>): Promise<T> {
    await mkdir(this.enginesDir, { recursive: true });
    return withFileLock(
      this.path,
      async (assertHeld) => {
        await this.removeDeadTempFiles();
        return fn(assertHeld);
      },
      this.options,
    );
  }

  private async load(): Promise<Loaded> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      return { kind: 'corrupt', reason: `not JSON (${(error as Error).message})` };
    }
    const version = (json as { version?: unknown } | null)?.version;
    if (typeof version === 'number' && version > MANIFEST_VERSION) {
      // Rebuilding would throw away what a newer autobyteus recorded.
      throw new EngineManifestError(
        `${this.path} has format version ${version}, written by a newer autobyteus (this one reads ${MANIFEST_VERSION}); upgrade autobyteus`,
      );
    }
    const result = manifestSchema.safeParse(json);
    if (!result.success) return { kind: 'corrupt', reason: describeIssues(result.error) };
    return { kind: 'ok', manifest: result.data };
  }

  /** Loads the manifest, rebuilding it from receipts if needed. Call only while holding the lock. */
  private async loadOrRepair(): Promise<EngineManifest> {
    const loaded = await this.load();
    if (loaded.kind === 'ok') return loaded.manifest;
    const rebuilt = await rebuildManifest(this.enginesDir);
    if (loaded.kind === 'missing' && rebuilt.recovered.length === 0) return rebuilt.manifest;
    let kept = '';
    if (loaded.kind === 'corrupt') {
      const copy = `${this.path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      await rename(this.path, copy).catch(() => {});
      kept = ` (the unreadable file was kept as ${copy})`;
    }
    await writeFileAtomic(this.path, `${JSON.stringify(rebuilt.manifest, null, 2)}\n`);
    const what = loaded.kind === 'missing' ? 'was missing' : `was invalid: ${loaded.reason}`;
    this.warn(
      `engines manifest ${this.path} ${what}; rebuilt it from the install receipts ` +
        `(${rebuilt.recovered.join(', ') || 'none found'})${kept}. Check the active versions with \`engines list\`.` +
        (rebuilt.skipped.length ? ` Skipped: ${rebuilt.skipped.join('; ')}` : ''),
    );
    return rebuilt.manifest;
  }

  private async hasEngineFolders(): Promise<boolean> {
    try {
      return (await readdir(this.enginesDir)).length > 0;
    } catch {
      return false;
    }
  }

  /** Temp files of writers killed mid-write. Safe to delete: writers only write while holding the lock we hold. */
  private async removeDeadTempFiles(): Promise<void> {
    for (const name of await readdir(this.enginesDir)) {
      if (isAtomicTempOf(this.path, name)) await unlink(join(this.enginesDir, name)).catch(() => {});
    }
  }

  private warn(message: string): void {
    this.warnings.push(message);
    this.options.onWarning?.(message);
  }
}

function requireInstalled(engine: EngineName, record: EngineRecord, version: string): void {
  if (!(version in record.versions)) {
    throw new EngineManifestError(
      `${engine} ${version} is not installed (installed: ${Object.keys(record.versions).join(', ') || 'none'})`,
    );
  }
}
