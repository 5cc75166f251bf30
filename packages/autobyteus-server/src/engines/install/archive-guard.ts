/** Bounds on what one archive may unpack to. */
export interface ArchiveLimits {
  /** Sum of the entries' uncompressed sizes (default 2 GiB). */
  maxTotalBytes?: number;
  /** Number of entries (default 10,000). */
  maxEntries?: number;
}

export const DEFAULT_ARCHIVE_LIMITS: Required<ArchiveLimits> = {
  maxTotalBytes: 2 * 1024 ** 3,
  maxEntries: 10_000,
};

export type ArchiveEntryKind = 'file' | 'directory' | 'symlink' | 'hardlink' | 'unsupported';

/** An archive entry as the tar or zip reader saw it, before anything is written. */
export interface ArchiveEntryInfo {
  /** The name as stored in the archive. */
  path: string;
  kind: ArchiveEntryKind;
  /** Uncompressed size in bytes (0 for links and folders). */
  size: number;
  /** Symlinks: the link text. Hardlinks: the archive path of the linked entry. */
  linkTarget?: string;
  /** For 'unsupported': the type the archive declared (device, FIFO, ...). */
  typeName?: string;
}

/** The archive would write outside its target, or is too large; nothing was extracted. */
export class UnsafeArchiveError extends Error {
  constructor(archive: string, problem: string) {
    super(`refusing to extract ${archive}: ${problem}`);
    this.name = 'UnsafeArchiveError';
  }
}

/**
 * Splits an archive path into safe segments, or returns why it is unsafe. Backslashes count as
 * separators (archives made on Windows), so `..\\x` cannot sneak past.
 */
export function entrySegments(path: string): string[] | string {
  if (path.includes('\0')) return 'contains a NUL byte';
  const unified = path.replaceAll('\\', '/');
  if (unified.startsWith('/') || /^[A-Za-z]:/.test(unified)) return 'is an absolute path';
  const segments = unified.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return "contains '..' and would land outside the target folder";
  return segments;
}

const key = (segments: string[]) => segments.join('/').toLowerCase();

/**
 * Checks every entry before anything is written, so a refused archive leaves no trace:
 * - no path may be absolute or contain '..';
 * - a symlink's target, resolved from the link's own folder, must stay inside the target, and
 *   may not pass through another symlink of the archive (a chain of individually harmless links
 *   can climb out: `a/b/up -> ../..` then `x -> a/b/up/..`);
 * - a hardlink must name another entry inside the archive that is not a symlink (a copied
 *   symlink's relative text would resolve from a new place);
 * - no entry may be written through a symlink of the archive;
 * - devices, FIFOs and other special files are refused;
 * - the entry count and total uncompressed size are bounded.
 * Link names are compared case-insensitively: on macOS and Windows `Lib` and `lib` are one path.
 */
export function checkArchiveEntries(archive: string, entries: ArchiveEntryInfo[], limits: ArchiveLimits = {}): void {
  const { maxTotalBytes, maxEntries } = { ...DEFAULT_ARCHIVE_LIMITS, ...limits };
  if (entries.length > maxEntries) {
    throw new UnsafeArchiveError(archive, `it has more than ${maxEntries} entries (raise the entry limit if expected)`);
  }
  let total = 0;
  const symlinks = new Set<string>();
  const parsed = entries.map((entry) => {
    const segments = entrySegments(entry.path);
    if (typeof segments === 'string') throw new UnsafeArchiveError(archive, `entry "${entry.path}" ${segments}`);
    if (entry.kind === 'symlink') symlinks.add(key(segments));
    return { entry, segments };
  });
  const throughSymlink = (segments: string[], includeLast: boolean) => {
    const end = includeLast ? segments.length : segments.length - 1;
    for (let i = 1; i <= end; i++) if (symlinks.has(key(segments.slice(0, i)))) return segments.slice(0, i).join('/');
    return null;
  };

  for (const { entry, segments } of parsed) {
    const name = `entry "${entry.path}"`;
    if (entry.kind === 'unsupported') {
      throw new UnsafeArchiveError(archive, `${name} is a ${entry.typeName ?? 'special file'}, which is not allowed`);
    }
    total += entry.size;
    if (total > maxTotalBytes) {
      throw new UnsafeArchiveError(
        archive,
        `it unpacks to more than ${maxTotalBytes} bytes (raise the size limit if expected)`,
      );
    }
    const via = throughSymlink(segments, false);
    if (via) throw new UnsafeArchiveError(archive, `${name} would be written through the symbolic link "${via}"`);

    if (entry.kind === 'symlink') {
      const target = entry.linkTarget ?? '';
      const unified = target.replaceAll('\\', '/');
      if (unified.startsWith('/') || /^[A-Za-z]:/.test(unified)) {
        throw new UnsafeArchiveError(archive, `${name} is a symbolic link to the absolute path "${target}"`);
      }
      const parts = unified.split('/').filter((p) => p !== '' && p !== '.');
      const resolved = segments.slice(0, -1);
      for (const [i, part] of parts.entries()) {
        if (part === '..') {
          if (resolved.length === 0) {
            throw new UnsafeArchiveError(
              archive,
              `${name} is a symbolic link to "${target}", outside the target folder`,
            );
          }
          resolved.pop();
          continue;
        }
        resolved.push(part);
        // Going on past another link makes this lexical check meaningless; ending on one is fine
        // (that link's own target is checked from its own place).
        if (i < parts.length - 1 && symlinks.has(key(resolved))) {
          throw new UnsafeArchiveError(
            archive,
            `${name} is a symbolic link whose target "${target}" passes through another symbolic link`,
          );
        }
      }
    }

    if (entry.kind === 'hardlink') {
      const target = entrySegments(entry.linkTarget ?? '');
      if (typeof target === 'string' || target.length === 0) {
        throw new UnsafeArchiveError(
          archive,
          `${name} is a hard link to "${entry.linkTarget}", outside the target folder`,
        );
      }
      const linkVia = throughSymlink(target, true);
      if (linkVia) {
        throw new UnsafeArchiveError(archive, `${name} is a hard link through the symbolic link "${linkVia}"`);
      }
    }
  }
}
