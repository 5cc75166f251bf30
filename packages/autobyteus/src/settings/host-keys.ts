import type { LocalRuntime } from '../llm/llm-runtime.js';
import { normalizeHostUrl } from './host-url.js';
import type { RuntimeSettings } from './settings.js';
import { ValueRejected } from './value-rejected.js';

/** What a per-host key list must look like, for messages. */
export const HOST_KEYS_EXPECTED =
  'comma-separated host=key pairs (e.g. http://vllm:8000=sk-1,dns+http://llama:8080=sk-2), or a TOML table of host = "key"';

/**
 * Reads per-host API keys: `host=key,host2=key2` text (split at the first `=`, so keys may contain `=`),
 * a list of such pairs, or a table `{ host: key }` (config.toml's `[openai_compatible.api_keys]`). Hosts
 * are normalised like host lists, so `http://h:8000/v1/` and `http://h:8000` name the same host. Keys go
 * here rather than in URLs because credentials in URLs are refused. Throws `ValueRejected`.
 */
export function parseHostKeys(raw: unknown): Record<string, string> {
  const pairs: Array<[string, unknown]> = [];
  if (typeof raw === 'string' || Array.isArray(raw)) {
    const entries = typeof raw === 'string' ? raw.split(',') : raw.map(String);
    for (const entry of entries.map((e) => e.trim()).filter(Boolean)) {
      const at = entry.indexOf('=');
      // Never echo the entry: it is (part of) a secret.
      if (at <= 0) throw new ValueRejected(`${HOST_KEYS_EXPECTED} (an entry has no "host=")`);
      pairs.push([entry.slice(0, at), entry.slice(at + 1)]);
    }
  } else if (raw !== null && typeof raw === 'object') {
    pairs.push(...Object.entries(raw));
  } else {
    throw new ValueRejected(HOST_KEYS_EXPECTED);
  }
  const keys: Record<string, string> = {};
  for (const [host, key] of pairs) {
    let normalized: string;
    try {
      normalized = normalizeHostUrl(host);
    } catch (error) {
      throw new ValueRejected(`${HOST_KEYS_EXPECTED} ("${host.trim()}": ${(error as Error).message})`);
    }
    if (typeof key !== 'string' || !key.trim())
      throw new ValueRejected(`${HOST_KEYS_EXPECTED} ("${normalized}" has no key)`);
    keys[normalized] = key.trim();
  }
  return keys;
}

/** The text form of parsed host keys, as `parseHostKeys` reads it back. */
export function formatHostKeys(keys: Readonly<Record<string, string>>): string {
  return Object.entries(keys)
    .map(([host, key]) => `${host}=${key}`)
    .join(',');
}

/**
 * The key to send to one host of a runtime: the host's own key, else the key of the configured entry it
 * came from (a `dns+` name covers every address it resolves to), else the runtime's key.
 */
export function apiKeyFor(runtime: RuntimeSettings, hostUrl: string, hostEntry?: string): string | undefined {
  return runtime.apiKeys?.[hostUrl] ?? (hostEntry ? runtime.apiKeys?.[hostEntry] : undefined) ?? runtime.apiKey;
}

/**
 * Keys of hosts whose key changes while the application runs (a server's managed engines get a fresh secret
 * at every launch): asked before the settings' keys for every chat client built and every discovery probe.
 * Undefined means the host has no such key and the settings decide.
 */
export type HostKeyLookup = (runtime: LocalRuntime, hostUrl: string) => string | undefined;
