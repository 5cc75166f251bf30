/**
 * A URL fit to print or store: user name and password removed, and every query value replaced by
 * `***` (tokens and signatures travel there: `?token=…`, `X-Amz-Signature=…`). Text that is not a
 * URL is returned unchanged.
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url;
  }
  if (!parsed.username && !parsed.password && !parsed.search) return url;
  parsed.username = '';
  parsed.password = '';
  const query = [...parsed.searchParams.keys()].map((key) => `${encodeURIComponent(key)}=***`).join('&');
  parsed.search = '';
  parsed.hash = '';
  // Built by hand: URLSearchParams would percent-encode the stars.
  return query ? `${parsed.toString()}?${query}` : parsed.toString();
}

/** True when the URL carries a user name or password (`https://user:pass@host/…`). */
export function hasUrlCredentials(url: URL): boolean {
  return url.username !== '' || url.password !== '';
}
