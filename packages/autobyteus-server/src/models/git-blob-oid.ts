import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';

/**
 * The git blob id of a file: sha1 of `blob <size>\0<content>`, streamed. The hub reports it as `oid` for every
 * file, which lets us verify small non-LFS files (config.json, tokenizer files) that have no sha256.
 */
export async function gitBlobOid(path: string): Promise<string> {
  const { size } = await stat(path);
  const hash = createHash('sha1');
  hash.update(`blob ${size}\0`);
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
