import { join } from 'node:path';
import { homeLayout } from '../../home-layout.js';
import type { EngineName } from '../specs/engine-name.js';

/**
 * Where engines live under $AUTOBYTEUS_HOME:
 *
 *   engines/manifest.json              which versions exist and which is active (EngineManifestStore)
 *   engines/manifest.json.lock         inter-process lock (io/file-lock)
 *   engines/<engine>/<version>/        one installed version, with its install.json receipt
 *   engines/<engine>/.staging-<pid>-*  an install in progress (renamed to <version> on success)
 *   engines/<engine>/.trash-*          a version being removed or replaced
 */
export const MANIFEST_FILE = 'manifest.json';
export const RECEIPT_FILE = 'install.json';
export const STAGING_PREFIX = '.staging-';
export const TRASH_PREFIX = '.trash-';

/**
 * Versions become folder names, and some come from outside (release tags, `--version` output):
 * anything that could climb out of the engine folder or confuse a shell is refused.
 */
const VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,99}$/;

/** A version string that cannot be used as a folder name. */
export class InvalidVersionError extends Error {
  constructor(version: string) {
    super(
      `invalid engine version ${JSON.stringify(version)}: use letters, digits, '.', '_', '+' and '-' (at most 100, starting with a letter or digit)`,
    );
    this.name = 'InvalidVersionError';
  }
}

export function isValidVersion(version: string): boolean {
  return VERSION_PATTERN.test(version) && !version.includes('..');
}

export function assertValidVersion(version: string): void {
  if (!isValidVersion(version)) throw new InvalidVersionError(version);
}

/** `$AUTOBYTEUS_HOME/engines`. */
export function enginesDirOf(home: string): string {
  return homeLayout(home).engines;
}

export function engineDir(enginesDir: string, engine: EngineName): string {
  return join(enginesDir, engine);
}

export function versionDir(enginesDir: string, engine: EngineName, version: string): string {
  assertValidVersion(version);
  return join(enginesDir, engine, version);
}
