/** Result of reading one comma-separated host list. */
export interface ParsedHostList {
  hosts: string[];
  invalid: Array<{ value: string; reason: string }>;
}

const SCHEMES = ['http:', 'https:', 'dns+http:', 'dns+https:'];

/**
 * True for a `dns+http://name:port` (or `dns+https://`) entry: not a host itself but a DNS name whose
 * addresses are the hosts, looked up again at every discovery refresh.
 */
export function isDnsHostEntry(hostUrl: string): boolean {
  return /^dns\+https?:\/\//i.test(hostUrl);
}

/**
 * Normalises a base URL to its origin plus path, without a trailing `/` or `/v1`: the runtimes add
 * `/v1/...` or `/health` themselves, and users paste either form. `dns+http://` and `dns+https://`
 * entries (see {@link isDnsHostEntry}) are normalised the same way.
 */
export function normalizeHostUrl(raw: string): string {
  const trimmed = raw.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  const url = new URL(withScheme);
  if (!SCHEMES.includes(url.protocol)) {
    throw new Error(`unsupported scheme ${url.protocol.replace(':', '')} (use http, https, dns+http or dns+https)`);
  }
  if (!url.hostname) throw new Error('missing host name');
  if (url.username || url.password)
    throw new Error('credentials in the URL are not supported; use the API key setting');
  let path = url.pathname.replace(/\/+$/, '');
  if (path.endsWith('/v1')) path = path.slice(0, -3);
  // The WHATWG parser lower-cases the name and drops the default port only for http(s); do the same for dns+.
  const defaultPort = url.protocol.endsWith('https:') ? '443' : '80';
  const port = url.port && url.port !== defaultPort ? `:${url.port}` : '';
  return `${url.protocol}//${url.hostname.toLowerCase()}${port}${path}`;
}

/** Splits `a,b , c` into normalised URLs, collecting invalid entries instead of throwing. */
export function parseHostList(raw: string | readonly string[]): ParsedHostList {
  const values = typeof raw === 'string' ? raw.split(',') : raw;
  const hosts: string[] = [];
  const invalid: ParsedHostList['invalid'] = [];
  for (const value of values) {
    if (!value.trim()) continue;
    try {
      const host = normalizeHostUrl(value);
      if (!hosts.includes(host)) hosts.push(host);
    } catch (error) {
      invalid.push({ value: value.trim(), reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return { hosts, invalid };
}

/** `host:port` of a base URL, with the scheme's default port filled in. */
export function hostPort(hostUrl: string): string {
  const url = new URL(hostUrl);
  return `${url.hostname}:${url.port || (url.protocol.endsWith('https:') ? '443' : '80')}`;
}
