import { createWriteStream } from 'node:fs';
import { chmod, mkdir, open, readdir, symlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar';
import yauzl from 'yauzl';
import {
  type ArchiveEntryInfo,
  type ArchiveEntryKind,
  type ArchiveLimits,
  checkArchiveEntries,
  entrySegments,
  UnsafeArchiveError,
} from './archive-guard.js';

export { type ArchiveLimits, DEFAULT_ARCHIVE_LIMITS, UnsafeArchiveError } from './archive-guard.js';

export interface SafeExtractOptions extends ArchiveLimits {
  /** Extract only entries whose archive path passes (the rest are still checked). */
  only?: (path: string) => boolean;
}

/** What was extracted. */
export interface ExtractResult {
  format: 'tar.gz' | 'zip';
  entries: number;
  bytes: number;
}

/**
 * Extracts a .tar.gz/.tgz or .zip archive (recognised by content, not name) into `target`, which
 * must be empty or missing. Every entry is checked first (see checkArchiveEntries): an unsafe
 * archive is refused with UnsafeArchiveError before a single byte is written. The extraction
 * itself then runs with the readers' own protections on as a second line of defence.
 */
export async function safeExtract(archive: string, target: string, options: SafeExtractOptions = {}) {
  await mkdir(target, { recursive: true });
  if ((await readdir(target)).length > 0) throw new Error(`extraction target ${target} is not empty`);
  const format = await sniffFormat(archive);
  if (format === 'zip') return extractZip(archive, target, options);
  return extractTarGz(archive, target, options);
}

async function sniffFormat(archive: string): Promise<'tar.gz' | 'zip'> {
  const handle = await open(archive, 'r');
  const head = Buffer.alloc(4);
  try {
    await handle.read(head, 0, 4, 0);
  } finally {
    await handle.close();
  }
  if (head[0] === 0x1f && head[1] === 0x8b) return 'tar.gz';
  if (head.readUInt32LE(0) === 0x04034b50 || head.readUInt32LE(0) === 0x06054b50) return 'zip';
  throw new Error(`${archive} is neither a gzip-compressed tar (.tar.gz, .tgz) nor a .zip archive`);
}

const TAR_KINDS: Partial<Record<tar.ReadEntry['type'], ArchiveEntryKind>> = {
  File: 'file',
  OldFile: 'file',
  ContiguousFile: 'file',
  Directory: 'directory',
  SymbolicLink: 'symlink',
  Link: 'hardlink',
};

async function extractTarGz(archive: string, target: string, options: SafeExtractOptions): Promise<ExtractResult> {
  const name = basename(archive);
  const entries: ArchiveEntryInfo[] = [];
  const maxEntries = options.maxEntries ?? Number.POSITIVE_INFINITY;
  try {
    await tar.t({
      file: archive,
      strict: true,
      onReadEntry: (entry) => {
        // Past the limit the entry list is not needed any more: the check below refuses it.
        if (entries.length <= maxEntries) {
          entries.push({
            path: entry.path,
            kind: TAR_KINDS[entry.type] ?? 'unsupported',
            size: entry.size ?? 0,
            typeName: entry.type,
            ...(entry.linkpath !== undefined ? { linkTarget: entry.linkpath } : {}),
          });
        }
        entry.resume();
      },
    });
  } catch (error) {
    throw new Error(`${name} is not a readable .tar.gz archive: ${(error as Error).message}`, { cause: error });
  }
  checkArchiveEntries(name, entries, options);

  const allowed = new Set(['File', 'OldFile', 'ContiguousFile', 'Directory', 'SymbolicLink', 'Link']);
  let extracted = 0;
  let bytes = 0;
  await tar.x({
    file: archive,
    cwd: target,
    strict: true,
    preservePaths: false,
    preserveOwner: false,
    filter: (path, entry) => {
      const ok =
        'type' in entry &&
        allowed.has(entry.type) &&
        typeof entrySegments(path) !== 'string' &&
        (options.only ? options.only(path) : true);
      if (ok) {
        extracted++;
        bytes += (entry as tar.ReadEntry).size ?? 0;
      }
      return ok;
    },
  });
  return { format: 'tar.gz', entries: extracted, bytes };
}

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;
const MAX_SYMLINK_TEXT = 4096;

function zipEntryKind(entry: yauzl.Entry, path: string): ArchiveEntryKind {
  // Unix-made zips keep st_mode in the high 16 bits of the external attributes.
  const madeOnUnix = entry.versionMadeBy >> 8 === 3;
  const mode = madeOnUnix ? entry.externalFileAttributes >>> 16 : 0;
  if ((mode & S_IFMT) === S_IFLNK) return 'symlink';
  if (path.endsWith('/') || (mode & S_IFMT) === S_IFDIR) return 'directory';
  if (madeOnUnix && (mode & S_IFMT) !== 0 && (mode & S_IFMT) !== 0o100000) return 'unsupported';
  return 'file';
}

function openZip(archive: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    // decodeStrings off: yauzl would reject unsafe names with a terse message; we decode them
    // ourselves and refuse them with a clear one (after checking all entries together).
    yauzl.open(
      archive,
      { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true },
      (e, z) => (e ? reject(e) : resolve(z)),
    );
  });
}

function readZipEntries(zip: yauzl.ZipFile, maxEntries: number): Promise<yauzl.Entry[]> {
  return new Promise((resolve, reject) => {
    const entries: yauzl.Entry[] = [];
    zip.on('entry', (entry: yauzl.Entry) => {
      entries.push(entry);
      if (entries.length > maxEntries) resolve(entries);
      else zip.readEntry();
    });
    zip.on('end', () => resolve(entries));
    zip.on('error', reject);
    zip.readEntry();
  });
}

function zipStream(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => zip.openReadStream(entry, (e, s) => (e ? reject(e) : resolve(s))));
}

async function readSmall(stream: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      stream.destroy();
      throw new Error(`symbolic link text longer than ${limit} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function extractZip(archive: string, target: string, options: SafeExtractOptions): Promise<ExtractResult> {
  const name = basename(archive);
  let zip: yauzl.ZipFile;
  try {
    zip = await openZip(archive);
  } catch (error) {
    throw new Error(`${name} is not a readable .zip archive: ${(error as Error).message}`, { cause: error });
  }
  try {
    const maxEntries = options.maxEntries ?? Number.POSITIVE_INFINITY;
    if (zip.entryCount > maxEntries) {
      throw new UnsafeArchiveError(name, `it has more than ${maxEntries} entries (raise the entry limit if expected)`);
    }
    const raw = await readZipEntries(zip, maxEntries);
    const listed = [];
    for (const entry of raw) {
      const path = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
      if (entry.isEncrypted()) throw new UnsafeArchiveError(name, `entry "${path}" is encrypted`);
      const kind = zipEntryKind(entry, path);
      const info: ArchiveEntryInfo = { path, kind, size: kind === 'file' ? entry.uncompressedSize : 0 };
      if (kind === 'unsupported') info.typeName = 'special file';
      if (kind === 'symlink' && typeof entrySegments(path) !== 'string') {
        info.linkTarget = await readSmall(await zipStream(zip, entry), MAX_SYMLINK_TEXT);
      }
      listed.push({ entry, info });
    }
    checkArchiveEntries(
      name,
      listed.map((l) => l.info),
      options,
    );

    const wanted = listed.filter(({ info }) => !options.only || options.only(info.path));
    let bytes = 0;
    // Folders and files first, links last: nothing is ever written through a link made here.
    for (const { entry, info } of wanted.filter((w) => w.info.kind !== 'symlink')) {
      const dest = join(target, ...(entrySegments(info.path) as string[]));
      if (info.kind === 'directory') {
        await mkdir(dest, { recursive: true });
        continue;
      }
      await mkdir(dirname(dest), { recursive: true });
      const unixMode = entry.versionMadeBy >> 8 === 3 ? (entry.externalFileAttributes >>> 16) & 0o777 : 0;
      // 'wx': a second entry with the same name is an error, not a silent overwrite.
      await pipeline(await zipStream(zip, entry), createWriteStream(dest, { flags: 'wx', mode: 0o644 }));
      if (unixMode) await chmod(dest, unixMode | 0o600);
      bytes += entry.uncompressedSize;
    }
    for (const { info } of wanted.filter((w) => w.info.kind === 'symlink')) {
      const dest = join(target, ...(entrySegments(info.path) as string[]));
      await mkdir(dirname(dest), { recursive: true });
      await symlink(info.linkTarget ?? '', dest);
    }
    return { format: 'zip', entries: wanted.length, bytes };
  } finally {
    zip.close();
  }
}
