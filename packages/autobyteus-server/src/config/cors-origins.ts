import { ValueRejected } from 'autobyteus';

/** What `AUTOBYTEUS_CORS_ORIGINS` must look like, for messages. */
export const CORS_ORIGINS_EXPECTED =
  'browser origins (scheme://host[:port], no path), comma-separated, e.g. http://localhost:3000,https://app.example.com; or *';

/**
 * Checks the CORS allow-list: every entry an http(s) origin exactly as a browser sends it in `Origin`
 * (scheme, host, port; no path, query or credentials), or `*` for any origin. Entries are split on
 * commas as well, so the environment's `a,b` and config.toml's `["a", "b"]` read the same. Returns the
 * entries normalised (lower-case scheme and host, default port dropped); throws ValueRejected naming
 * the first bad entry.
 */
export function parseCorsOrigins(list: readonly string[]): string[] {
  const entries = list
    .flatMap((item) => item.split(','))
    .map((entry) => entry.trim())
    .filter(Boolean);
  return entries.map((entry) => {
    if (entry === '*') return entry;
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    // An Origin header has a scheme, host and port only: `href` is then the origin plus `/`.
    const isOrigin =
      url && /^https?:$/.test(url.protocol) && !url.username && !url.password && url.href === `${url.origin}/`;
    if (!url || !isOrigin) throw new ValueRejected(`${CORS_ORIGINS_EXPECTED}; "${entry}" is not an origin`);
    return url.origin;
  });
}
