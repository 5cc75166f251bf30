import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EngineManifestStore } from '../../../src/engines/manifest/engine-manifest-store.js';

/** A fresh $AUTOBYTEUS_HOME with its engine manifest store. */
export function engineHome() {
  const home = mkdtempSync(join(tmpdir(), 'autobyteus-engines-'));
  const store = EngineManifestStore.forHome(home);
  return {
    home,
    store,
    /** Entries of engines/<engine>/ (version folders, and any staging/trash left behind). */
    folders: (engine: 'llama-cpp' | 'mlx') => {
      const dir = join(home, 'engines', engine);
      return existsSync(dir) ? readdirSync(dir).sort() : [];
    },
    manifestText: () => (existsSync(store.path) ? readFileSync(store.path, 'utf8') : null),
  };
}
