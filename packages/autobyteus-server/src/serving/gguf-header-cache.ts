import { stat } from 'node:fs/promises';
import { type GgufHeaderInfo, readGgufHeader } from '../models/gguf-header.js';

/**
 * Reads GGUF headers once per file version (path, size, mtime, ctime, inode): the gateway lists models
 * on every `/v1/models`, and parsing each header again would cost milliseconds per file.
 */
export class GgufHeaderCache {
  private readonly entries = new Map<string, { key: string; header: Promise<GgufHeaderInfo> }>();

  /** The header of `path`, from the cache while the file is unchanged. */
  read = async (path: string): Promise<GgufHeaderInfo> => {
    const info = await stat(path);
    // ctime and inode too: a file replaced by rename, or rewritten with its mtime put back, keeps size and mtime.
    const key = `${info.size}:${info.mtimeMs}:${info.ctimeMs}:${info.ino}`;
    const cached = this.entries.get(path);
    if (cached?.key === key) return cached.header;
    const header = readGgufHeader(path);
    this.entries.set(path, { key, header });
    header.catch(() => this.entries.delete(path));
    return header;
  };
}
