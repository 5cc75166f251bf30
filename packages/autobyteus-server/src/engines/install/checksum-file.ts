import { basename } from 'node:path';
import { isSha256 } from '../../io/hash.js';

/**
 * Reads a `.sha256` / SHA256SUMS file: either a bare checksum, or `<checksum>  <file name>` lines,
 * of which the one naming `fileName` is used. Null when no checksum for that file is in it.
 */
export function parseChecksumFile(text: string, fileName: string): string | null {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  for (const line of lines) {
    const [sum, name] = line.split(/\s+/, 2);
    if (!sum || !isSha256(sum)) continue;
    if (name === undefined || basename(name.replace(/^\*/, '')) === fileName) return sum.toLowerCase();
  }
  return null;
}
