import { existsSync } from 'node:fs';
import type { EngineManifestStore } from '../manifest/engine-manifest-store.js';
import type { EngineName } from './engine-name.js';

/**
 * The program of an engine: `configured` when that path exists (pre-bundled engines short-circuit
 * everything else), else the active installed version's, when it is still there.
 */
export async function installedProgram(
  store: EngineManifestStore,
  engine: EngineName,
  configured: string | undefined,
): Promise<string | undefined> {
  if (configured && existsSync(configured)) return configured;
  const manifest = await store.read();
  const record = manifest.engines[engine];
  const active = record?.active ? record.versions[record.active] : undefined;
  return active && existsSync(active.path) ? active.path : undefined;
}
