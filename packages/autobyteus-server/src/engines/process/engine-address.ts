/**
 * Address helpers for a managed engine's host URL: the port it listens on, the address it binds,
 * and the address the manager probes.
 */

const LOOPBACK = '127.0.0.1';

function parse(hostUrl: string): URL {
  try {
    return new URL(hostUrl);
  } catch {
    throw new Error(`invalid engine host URL: ${hostUrl}`);
  }
}

/** Strips IPv6 brackets: `[::1]` → `::1`. */
function bareHostname(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

/** The port of `hostUrl` (explicit, else the scheme's default). */
export function portOf(hostUrl: string): number {
  const url = parse(hostUrl);
  if (url.port) return Number(url.port);
  return url.protocol === 'https:' ? 443 : 80;
}

/**
 * The address the engine binds: always loopback unless `allowRemote`, in which case the URL's host
 * (`localhost` still means loopback).
 */
export function bindHost(hostUrl: string, allowRemote: boolean): string {
  if (!allowRemote) return LOOPBACK;
  const host = bareHostname(parse(hostUrl));
  return host === 'localhost' ? LOOPBACK : host;
}

/**
 * The address the manager connects to when probing its own engine: loopback for `localhost` and the
 * wildcard addresses, else the URL's host.
 */
export function probeHost(hostUrl: string): string {
  const host = bareHostname(parse(hostUrl));
  return host === 'localhost' || host === '0.0.0.0' || host === '::' ? LOOPBACK : host;
}

/** `http://<probeHost>:<port>`: where readiness probes and warm-ups are sent. */
export function probeUrl(hostUrl: string): string {
  const url = parse(hostUrl);
  const host = probeHost(hostUrl);
  return `${url.protocol}//${host.includes(':') ? `[${host}]` : host}:${portOf(hostUrl)}`;
}
