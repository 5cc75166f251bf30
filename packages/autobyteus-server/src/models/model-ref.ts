import { hasUrlCredentials, redactUrl } from '../io/redact-url.js';
import { safeFileName, UnsafePathError } from '../io/safe-path.js';

/** What `models pull` was asked for. */
export type ModelRef =
  /** `hf:org/repo[@rev]/path/to/file.gguf`: one file of a hub repo. */
  | { kind: 'hf-file'; repo: string; revision: string; path: string }
  /** `hf:org/repo[@rev]`: a whole repo (MLX models). */
  | { kind: 'hf-repo'; repo: string; revision: string }
  /** `https://…/file.gguf` (or `http://`): one file anywhere. */
  | { kind: 'url'; url: string; fileName: string }
  /** A name from the curated catalog. */
  | { kind: 'catalog'; name: string };

/** The input is not a model reference we understand. */
export class ModelRefError extends Error {
  constructor(
    readonly input: string,
    reason: string,
  ) {
    super(
      `cannot parse model reference '${redactUrl(input)}': ${reason} (expected hf:org/repo, hf:org/repo/file.gguf, an https:// URL or a catalog name)`,
    );
    this.name = 'ModelRefError';
  }
}

const REPO_PART = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const CATALOG_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Parses a pull reference:
 * - `hf:org/repo` or `hf:org/repo@revision`: a whole repo;
 * - `hf:org/repo/path/file.gguf` or `hf:org/repo@revision/path/file.gguf`: one file;
 * - `https://…` or `http://…`: one file by URL;
 * - anything else matching `[A-Za-z0-9._-]+`: a catalog name.
 */
export function parseModelRef(input: string): ModelRef {
  const text = input.trim();
  if (!text) throw new ModelRefError(input, 'empty');
  if (/^https?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new ModelRefError(input, 'invalid URL');
    }
    if (hasUrlCredentials(url)) {
      throw new ModelRefError(
        input,
        'the URL carries a user name or password, which would be printed and stored in models/registry.json; ' +
          'remove them: for the Hugging Face hub set HF_TOKEN (sent as an Authorization header), ' +
          'for other servers use a URL that needs no credentials (a token in a header, not in the URL)',
      );
    }
    const fileName = urlFileName(input, url);
    return { kind: 'url', url: url.toString(), fileName };
  }
  if (text.toLowerCase().startsWith('hf:')) return parseHubRef(input, text.slice(3).replace(/^\/+/, ''));
  if (text.includes(':') || text.includes('/')) throw new ModelRefError(input, 'unknown scheme');
  if (!CATALOG_NAME.test(text)) throw new ModelRefError(input, 'not a valid catalog name');
  return { kind: 'catalog', name: text };
}

function parseHubRef(input: string, rest: string): ModelRef {
  const parts = rest.split('/');
  const org = parts[0] ?? '';
  let name = parts[1] ?? '';
  let revision = 'main';
  const at = name.indexOf('@');
  if (at >= 0) {
    revision = name.slice(at + 1);
    name = name.slice(0, at);
    if (!revision) throw new ModelRefError(input, 'empty revision after @');
  }
  if (!REPO_PART.test(org) || !REPO_PART.test(name)) throw new ModelRefError(input, 'expected hf:org/repo');
  const repo = `${org}/${name}`;
  const path = parts.slice(2).join('/');
  if (!path) return { kind: 'hf-repo', repo, revision };
  for (const segment of [...parts.slice(2), ...revision.split('/')]) checkSegment(input, segment, 'path in the repo');
  return { kind: 'hf-file', repo, revision, path };
}

/** The last path segment of a URL, percent-decoded and checked to be a safe single file name. */
function urlFileName(input: string, url: URL): string {
  const last = url.pathname.split('/').pop() ?? '';
  if (!last) throw new ModelRefError(input, 'the URL names no file');
  let decoded: string;
  try {
    decoded = decodeURIComponent(last);
  } catch {
    throw new ModelRefError(input, 'the file name in the URL is not valid percent-encoding');
  }
  checkSegment(input, decoded, 'file name in the URL');
  return decoded;
}

function checkSegment(input: string, segment: string, what: string): void {
  try {
    safeFileName(segment, what);
  } catch (error) {
    if (error instanceof UnsafePathError) throw new ModelRefError(input, error.message);
    throw error;
  }
}

/** The canonical text of a reference (what `parseModelRef` reads back to the same value). */
export function formatModelRef(ref: ModelRef): string {
  switch (ref.kind) {
    case 'hf-file':
      return `hf:${ref.repo}${ref.revision === 'main' ? '' : `@${ref.revision}`}/${ref.path}`;
    case 'hf-repo':
      return `hf:${ref.repo}${ref.revision === 'main' ? '' : `@${ref.revision}`}`;
    case 'url':
      return ref.url;
    case 'catalog':
      return ref.name;
  }
}
