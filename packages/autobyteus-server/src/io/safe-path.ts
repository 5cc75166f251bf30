import { isAbsolute, relative, resolve } from 'node:path';

/** Longest file name we write, in UTF-8 bytes (most file systems allow 255; leave room for `.partial.lock`). */
export const MAX_FILE_NAME_BYTES = 200;

/** A name or path from outside (a URL, a hub listing, a wheel, the catalog) that cannot be written safely. */
export class UnsafePathError extends Error {
  constructor(
    readonly input: string,
    reason: string,
    what: string,
  ) {
    super(`refusing the ${what} ${JSON.stringify(input.length > 80 ? `${input.slice(0, 80)}…` : input)}: ${reason}`);
    this.name = 'UnsafePathError';
  }
}

// Control characters (C0, DEL, C1) and characters Windows forbids in names.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f<>:"|?*]/;

/** Why `name` is not a safe single path segment, or undefined when it is. */
function segmentProblem(name: string): string | undefined {
  if (name === '') return 'it is empty';
  if (name === '.' || name === '..') return 'it is a dot segment';
  if (name.includes('/') || name.includes('\\')) return 'it contains a path separator';
  if (name.startsWith('.')) return 'it starts with a dot';
  if (FORBIDDEN.test(name)) return 'it contains a control or reserved character';
  if (name.endsWith(' ') || name.endsWith('.')) return 'it ends with a space or a dot';
  if (Buffer.byteLength(name, 'utf8') > MAX_FILE_NAME_BYTES) return `it is longer than ${MAX_FILE_NAME_BYTES} bytes`;
  return undefined;
}

/**
 * Checks one file name taken from outside (already percent-decoded): no separators (`/`, `\`), no dot
 * segments, no leading dot, no control or reserved characters, at most {@link MAX_FILE_NAME_BYTES} bytes.
 * Returns it unchanged, or throws {@link UnsafePathError} naming `what` it was.
 */
export function safeFileName(name: string, what = 'file name'): string {
  const problem = segmentProblem(name);
  if (problem) throw new UnsafePathError(name, problem, what);
  return name;
}

/**
 * Resolves a relative `path` (`/`-separated, as in a hub repo) under `root`, every segment checked with
 * {@link safeFileName}'s rules, and verifies the result is inside `root` once resolved. The one way any
 * source kind (URL, hub file or repo, wheel, catalog) turns an outside name into a path on disk.
 */
export function resolveInside(root: string, path: string, what = 'path'): string {
  if (isAbsolute(path) || /^[A-Za-z]:/.test(path)) throw new UnsafePathError(path, 'it is an absolute path', what);
  for (const segment of path.split('/')) {
    const problem = segmentProblem(segment);
    if (problem) throw new UnsafePathError(path, `a segment is unsafe: ${problem}`, what);
  }
  const base = resolve(root);
  const target = resolve(base, ...path.split('/'));
  const inside = relative(base, target);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) {
    throw new UnsafePathError(path, `it resolves outside ${base}`, what);
  }
  return target;
}
