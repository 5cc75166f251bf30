import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Streams a file through `hash` (1 MiB reads, bounded memory) and returns it, updated. */
export async function hashFileInto(path: string, hash: Hash): Promise<Hash> {
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash;
}

/** The sha256 (hex) of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  return (await hashFileInto(path, createHash('sha256'))).digest('hex');
}

/** True for 64 lower- or upper-case hex digits. */
export function isSha256(value: string): boolean {
  return SHA256_HEX.test(value.toLowerCase());
}

/** A checksum given by a person: trimmed and lower-cased; throws when it is not 64 hex digits. */
export function normalizeSha256(value: string): string {
  const normalized = value.trim().toLowerCase();
  if (!SHA256_HEX.test(normalized)) throw new Error(`"${value}" is not a sha256 checksum (64 hexadecimal digits)`);
  return normalized;
}
