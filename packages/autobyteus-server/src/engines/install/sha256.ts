import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';

const SHA256 = /^[0-9a-f]{64}$/;

/** Streams a file through sha256 (never loads it whole). */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A checksum given by a person: trimmed and lower-cased; throws when it is not 64 hex digits. */
export function normalizeSha256(value: string): string {
  const normalized = value.trim().toLowerCase();
  if (!SHA256.test(normalized)) throw new Error(`"${value}" is not a sha256 checksum (64 hexadecimal digits)`);
  return normalized;
}

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
    if (!sum || !SHA256.test(sum.toLowerCase())) continue;
    if (name === undefined || basename(name.replace(/^\*/, '')) === fileName) return sum.toLowerCase();
  }
  return null;
}

/** The downloaded bytes are not the expected ones; nothing was installed. */
export class ChecksumMismatchError extends Error {
  constructor(asset: string, actual: string, expected: string, from: string) {
    super(
      `sha256 of ${asset} is ${actual}, but ${from} says ${expected}: the download is corrupt or not the ` +
        'expected file; nothing was installed',
    );
    this.name = 'ChecksumMismatchError';
  }
}
