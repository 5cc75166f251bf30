import { z } from 'zod';
import { getText } from '../../io/http-get.js';
import { redactUrl } from '../../io/redact-url.js';

/** A release asset as the GitHub releases API describes it. */
export interface ReleaseAsset {
  name: string;
  browserDownloadUrl: string;
  /** sha256 (hex) from the asset's `digest` field, when GitHub computed one (assets since mid-2025). */
  sha256: string | null;
}

const assetSchema = z
  .object({
    name: z.string(),
    browser_download_url: z.string(),
    digest: z.string().nullish(),
  })
  .passthrough();
const releaseSchema = z.object({ tag_name: z.string(), assets: z.array(assetSchema) }).passthrough();

/** The releases API answered something other than a release. */
export class ReleaseApiError extends Error {
  constructor(
    readonly url: string,
    reason: string,
  ) {
    super(`unexpected answer from the release API at ${redactUrl(url)}: ${reason}`);
    this.name = 'ReleaseApiError';
  }
}

/**
 * The API root matching a releases page root: `https://github.com/<owner>/<repo>/releases` →
 * `https://api.github.com/repos/<owner>/<repo>/releases`. A mirror (any other host) is expected to serve
 * the API paths on its own origin (`<origin>/repos/<owner>/<repo>/releases`). Null when the base URL does
 * not end in `<owner>/<repo>/releases`, so no API can be derived.
 */
export function releaseApiBase(releasesBaseUrl: string): string | null {
  const url = new URL(releasesBaseUrl);
  const match = /^\/([^/]+)\/([^/]+)\/releases\/?$/.exec(url.pathname);
  if (!match) return null;
  const origin = url.hostname === 'github.com' ? 'https://api.github.com' : url.origin;
  return `${origin}/repos/${match[1]}/${match[2]}/releases`;
}

/**
 * The release `tag` (or `latest`) from the API at `apiBase`: `GET <apiBase>/tags/<tag>` or
 * `<apiBase>/latest`. Null when the API answers 404 (no such release there). The JSON is validated.
 */
export async function fetchRelease(
  apiBase: string,
  tag: string,
  signal?: AbortSignal,
): Promise<{ tag: string; assets: ReleaseAsset[] } | null> {
  const url = tag === 'latest' ? `${apiBase}/latest` : `${apiBase}/tags/${encodeURIComponent(tag)}`;
  const response = await getText(url, {
    signal,
    timeoutMs: 30_000,
    // GitHub refuses API calls without a User-Agent.
    headers: { accept: 'application/vnd.github+json', 'user-agent': 'autobyteus-server' },
  });
  if (response.status === 404) return null;
  if (response.status !== 200) throw new ReleaseApiError(url, `HTTP ${response.status}`);
  let json: unknown;
  try {
    json = JSON.parse(response.text);
  } catch (error) {
    throw new ReleaseApiError(url, `invalid JSON (${(error as Error).message})`);
  }
  const parsed = releaseSchema.safeParse(json);
  if (!parsed.success) throw new ReleaseApiError(url, z.prettifyError(parsed.error));
  return {
    tag: parsed.data.tag_name,
    assets: parsed.data.assets.map((asset) => ({
      name: asset.name,
      browserDownloadUrl: asset.browser_download_url,
      sha256: parseDigest(asset.digest),
    })),
  };
}

/** `sha256:<64 hex>` → the hex; anything else (null, another algorithm) → null. */
function parseDigest(digest: string | null | undefined): string | null {
  const match = /^sha256:([0-9a-fA-F]{64})$/.exec(digest?.trim() ?? '');
  return match?.[1] ? match[1].toLowerCase() : null;
}
