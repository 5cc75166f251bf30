/**
 * Text that came from the network (request targets, query values, header values) before it goes
 * into a log line or a response: printable ASCII only, bounded length, query values redacted.
 */

/** Longest piece of network text echoed anywhere. */
export const MAX_ECHO = 120;

/** Printable ASCII only (anything else becomes `?`), cut to `max` characters with a marker. */
export function printable(text: string, max = MAX_ECHO): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…(${clean.length} chars)` : clean;
}

/**
 * A request target as it may be logged: the path bounded and printable, every query value (and any
 * key without a value, which can be a bare secret) replaced, so `?api_key=SECRET` never reaches a
 * log. Fragments are dropped.
 */
export function redactTarget(target: string, max = 200): string {
  const withoutFragment = target.split('#')[0] ?? '';
  const q = withoutFragment.indexOf('?');
  if (q < 0) return printable(withoutFragment, max);
  const path = withoutFragment.slice(0, q);
  const query = withoutFragment
    .slice(q + 1)
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? '[redacted]' : `${part.slice(0, eq)}=[redacted]`;
    })
    .join('&');
  return printable(`${path}?${query}`, max);
}
