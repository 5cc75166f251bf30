import type { EngineManifestStore } from '../manifest/engine-manifest-store.js';
import { activateAfterSmokeTest, type InstalledEngine, type SmokeTest } from './commit-install.js';

export interface UpgradeOptions {
  store: EngineManifestStore;
  /** Installs the new version beside the old one WITHOUT activating it (pass `activate: false`). */
  install: () => Promise<InstalledEngine>;
  /** Proves the new version works (the process manager's: start it and wait for readiness). */
  smokeTest: SmokeTest;
}

/**
 * Upgrades an engine without ever leaving it broken: installs the new version beside the active
 * one, smoke-tests it, and only then makes it active (the old one becomes `previous`, for
 * rollback). When the smoke test fails, the new version is removed, the old one stays active and
 * SmokeTestFailedError says why.
 */
export async function upgradeEngine(options: UpgradeOptions): Promise<InstalledEngine & { replaced: string | null }> {
  const installed = await options.install();
  if (installed.active) {
    throw new Error(
      `upgradeEngine: install() already activated ${installed.engine} ${installed.version}; ` +
        'it must install with activate: false so the smoke test runs first',
    );
  }
  const before = (await options.store.read()).engines[installed.engine].active;
  const result = await activateAfterSmokeTest(options.store, installed, { smokeTest: options.smokeTest });
  return { ...result, replaced: before === installed.version ? null : before };
}
