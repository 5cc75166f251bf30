import { request } from 'undici';

/**
 * The tag behind `<releases>/latest`: GitHub (and mirrors with its layout) answer with a redirect to
 * `<releases>/tag/<tag>`. A concrete tag is returned unchanged.
 */
export async function resolveReleaseTag(baseUrl: string, tag: string, signal?: AbortSignal): Promise<string> {
  if (tag !== 'latest') return tag;
  const url = `${baseUrl.replace(/\/$/, '')}/latest`;
  const response = await request(url, { method: 'GET', signal, headersTimeout: 15_000, bodyTimeout: 15_000 });
  await response.body.dump();
  const location = response.headers.location;
  const target = Array.isArray(location) ? location[0] : location;
  const match = target ? /\/tag\/([^/?#]+)/.exec(target) : null;
  if (!match?.[1]) {
    throw new Error(
      `could not find the latest llama.cpp release at ${url} (HTTP ${response.statusCode}); set LLAMACPP_RELEASE_TAG to a tag such as b6000`,
    );
  }
  return decodeURIComponent(match[1]);
}
