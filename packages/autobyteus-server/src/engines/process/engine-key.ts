import { randomBytes } from 'node:crypto';
import { getText } from '../../io/http-get.js';

/** What an engine key looks like: 32 random bytes, base64url (43 characters). */
export const ENGINE_KEY_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/**
 * A managed engine that takes a key (llama-server) gets a fresh secret at every launch, in its environment
 * and in its PID file (mode 0600), so that only this server (and the CLI of this home's user) can talk to
 * it, not web pages or other local users. A later server adopting the engine uses the recorded key only
 * when the engine accepts it; an engine with no usable key recorded is killed and launched afresh.
 *
 * How a managed engine is locked to this server: the environment variable it reads its API key from
 * (never argv, which `ps` shows) and a path that answers 200 only with the key (for an adopted engine).
 */
export interface EngineKeyOptions {
  env: string;
  checkPath: string;
}

/** A fresh secret for one engine launch. */
export function newEngineKey(): string {
  return randomBytes(32).toString('base64url');
}

/** The environment of one launch (`env` plus a fresh key where the engine takes one) and that key. */
export function keyedLaunchEnv(
  options: EngineKeyOptions | undefined,
  env: Record<string, string> | undefined,
): { env: Record<string, string> | undefined; apiKey?: string } {
  if (!options) return { env };
  const apiKey = newEngineKey();
  return { env: { ...env, [options.env]: apiKey }, apiKey };
}

/** The request header that carries `apiKey` to an engine; none without a key. */
export function engineAuthHeaders(apiKey: string | undefined): Record<string, string> {
  return apiKey ? { authorization: `Bearer ${apiKey}` } : {};
}

/**
 * True when the engine at `url` answers `checkPath` with 200 given `apiKey`: the recorded key of an
 * adopted engine is still the one it demands. Any other answer, or none, is false.
 */
export async function engineAcceptsKey(url: string, checkPath: string, apiKey: string): Promise<boolean> {
  try {
    const answer = await getText(`${url}${checkPath}`, {
      headers: engineAuthHeaders(apiKey),
      timeoutMs: 5_000,
      maxBytes: 4 << 20,
      maxRedirects: 0,
    });
    return answer.status === 200;
  } catch {
    return false;
  }
}
