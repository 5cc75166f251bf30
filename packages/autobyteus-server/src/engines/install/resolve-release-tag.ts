import { getText } from '../../io/http-get.js';
import { redactUrl } from '../../io/redact-url.js';
import { fetchRelease, releaseApiBase } from './release-api.js';

/**
 * The tag behind `<releases>/latest`: GitHub (and mirrors with its layout) answer with a redirect to
 * `<releases>/tag/<tag>`; when no redirect comes, the releases API's `latest` is asked. A concrete tag is
 * returned unchanged.
 */
export async function resolveReleaseTag(baseUrl: string, tag: string, signal?: AbortSignal): Promise<string> {
  if (tag !== 'latest') return tag;
  const url = `${baseUrl.replace(/\/+$/, '')}/latest`;
  const response = await getText(url, { signal, maxRedirects: 0, timeoutMs: 15_000, maxBytes: 4 << 20 });
  const location = response.headers.location;
  const match = location ? /\/tag\/([^/?#]+)/.exec(location) : null;
  if (match?.[1]) return decodeURIComponent(match[1]);
  const api = releaseApiBase(baseUrl);
  const release = api ? await fetchRelease(api, 'latest', signal).catch(() => null) : null;
  if (release) return release.tag;
  throw new Error(
    `could not find the latest llama.cpp release at ${redactUrl(url)} (HTTP ${response.status}); ` +
      'set LLAMACPP_RELEASE_TAG to a tag such as b6000',
  );
}
