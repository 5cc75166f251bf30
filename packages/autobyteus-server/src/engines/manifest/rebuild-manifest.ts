import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ENGINE_NAMES } from '../specs/engine-name.js';
import { engineDir } from './engine-layout.js';
import { readReceipt, receiptToEntry } from './install-receipt.js';
import { type EngineManifest, emptyManifest } from './manifest-schema.js';

/** A manifest recovered from the version folders, with what was found and what was skipped. */
export interface RebuiltManifest {
  manifest: EngineManifest;
  /** Versions recovered, e.g. `llama-cpp b1-80fb11a`. */
  recovered: string[];
  /** Folders without a usable receipt, with the reason. */
  skipped: string[];
}

/**
 * Reconstructs the manifest from `engines/<engine>/<version>/install.json` receipts. Folders
 * starting with '.' (staging, trash) are ignored. For each engine the newest install (by
 * `installedAt`) becomes active and the one before it `previous`: the most likely state before
 * the manifest was lost, and what the last install would have left.
 */
export async function rebuildManifest(enginesDir: string): Promise<RebuiltManifest> {
  const manifest = emptyManifest();
  const recovered: string[] = [];
  const skipped: string[] = [];
  for (const engine of ENGINE_NAMES) {
    const dir = engineDir(enginesDir, engine);
    let names: string[];
    try {
      names = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
    } catch {
      continue;
    }
    const record = manifest.engines[engine];
    for (const name of names.filter((n) => !n.startsWith('.')).sort()) {
      const folder = join(dir, name);
      try {
        const receipt = await readReceipt(folder);
        if (receipt.engine !== engine || receipt.version !== name) {
          throw new Error(`receipt names ${receipt.engine} ${receipt.version}`);
        }
        record.versions[name] = receiptToEntry(folder, receipt);
        recovered.push(`${engine} ${name}`);
      } catch (error) {
        skipped.push(`${folder}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    const newestFirst = Object.entries(record.versions)
      .sort(([, a], [, b]) => b.installedAt.localeCompare(a.installedAt))
      .map(([version]) => version);
    record.active = newestFirst[0] ?? null;
    record.previous = newestFirst[1] ?? null;
  }
  return { manifest, recovered, skipped };
}
