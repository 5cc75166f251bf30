import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || h.startsWith('127.');
}

export interface ApiTokenState {
  /** The token every /api and /v1 request must carry; undefined = no auth (loopback, none configured). */
  token?: string;
  /** True when this start generated it (show it once). */
  generated: boolean;
  path?: string;
}

/**
 * Decides whether requests need a bearer token. Loopback-only servers need none unless one is
 * configured. A non-loopback server always needs one: the configured token, or one generated on
 * first start and kept in $AUTOBYTEUS_HOME/api-token with 0600 permissions.
 */
export function resolveApiToken(options: { configured?: string; listenHost: string; home: string }): ApiTokenState {
  if (options.configured) return { token: options.configured, generated: false };
  if (isLoopback(options.listenHost)) return { generated: false };
  const path = join(options.home, 'api-token');
  if (existsSync(path)) {
    const token = readFileSync(path, 'utf8').trim();
    if (token) return { token, generated: false, path };
  }
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const token = randomBytes(24).toString('base64url');
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return { token, generated: true, path };
}

/** Constant-time comparison of a presented bearer token. */
export function tokenMatches(expected: string, authorization: string | undefined): boolean {
  const presented = authorization?.startsWith('Bearer ') ? authorization.slice(7).trim() : '';
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
