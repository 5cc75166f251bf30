import { describe, expect, it } from 'vitest';
import { parseDnsServers } from '../../src/settings/dns-servers.js';
import { apiKeyFor, parseHostKeys } from '../../src/settings/host-keys.js';
import { hostPort, isDnsHostEntry, normalizeHostUrl, parseHostList } from '../../src/settings/host-url.js';
import { parseSettingValue, ValueRejected } from '../../src/settings/parse-setting-value.js';
import { librarySetting } from '../../src/settings/setting-definitions.js';
import { resolveSettings, SettingsError, settingsFromEnv } from '../../src/settings/settings.js';

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ValueRejected || error instanceof SettingsError) return error.message;
    throw error;
  }
  throw new Error('accepted');
}

describe('dns+ host entries', () => {
  it('are host URLs like any other: normalised, lower-cased, default port dropped', () => {
    expect(normalizeHostUrl('dns+http://Llama.Default.SVC.cluster.local:8080/v1/')).toBe(
      'dns+http://llama.default.svc.cluster.local:8080',
    );
    expect(normalizeHostUrl('dns+https://pool.svc:443/base/')).toBe('dns+https://pool.svc/base');
    expect(normalizeHostUrl('dns+http://pool.svc:80')).toBe('dns+http://pool.svc');
    expect(isDnsHostEntry('dns+http://pool.svc')).toBe(true);
    expect(isDnsHostEntry('http://pool.svc')).toBe(false);
    expect(hostPort('dns+https://pool.svc')).toBe('pool.svc:443');
    const parsed = parseHostList('dns+http://a:1, dns+ftp://b, dns+http://user:pw@c:1');
    expect(parsed.hosts).toEqual(['dns+http://a:1']);
    expect(parsed.invalid.map((i) => i.reason)).toEqual([
      'unsupported scheme dns+ftp (use http, https, dns+http or dns+https)',
      'credentials in the URL are not supported; use the API key setting',
    ]);
  });
});

describe('per-host API keys', () => {
  it('reads host=key text (keys may hold "="), lists and TOML tables; hosts normalised', () => {
    expect(parseHostKeys('http://a:8000/v1/=sk-1==, dns+http://Pool.svc:8080=sk-2')).toEqual({
      'http://a:8000': 'sk-1==',
      'dns+http://pool.svc:8080': 'sk-2',
    });
    expect(parseHostKeys(['https://b/=k'])).toEqual({ 'https://b': 'k' });
    expect(parseHostKeys({ 'http://c:1/v1': 'k3' })).toEqual({ 'http://c:1': 'k3' });
    expect(parseHostKeys('')).toEqual({});
  });

  it('refuses malformed pairs without echoing the key', () => {
    expect(refusal(() => parseHostKeys('sk-secret-no-host'))).not.toContain('sk-secret');
    expect(refusal(() => parseHostKeys('sk-secret-no-host'))).toContain('an entry has no "host="');
    expect(refusal(() => parseHostKeys('http://a:1='))).toContain('"http://a:1" has no key');
    expect(refusal(() => parseHostKeys('ftp://a=sk-secret'))).toContain('"ftp://a": unsupported scheme ftp');
    expect(refusal(() => parseHostKeys({ 'http://a': 7 }))).toContain('has no key');
    expect(refusal(() => parseHostKeys(5))).toContain('host=key');
  });

  it('the setting keeps normalised text from the environment or a TOML table, and settingsFromEnv hides a refused one', () => {
    const row = librarySetting('OPENAI_COMPATIBLE_API_KEYS');
    expect(row.secret).toBe(true);
    expect(parseSettingValue(row, { 'http://a:1/v1': 'k1', 'http://b:2': 'k2' })).toBe('http://a:1=k1,http://b:2=k2');
    const message = refusal(() => settingsFromEnv({ OPENAI_COMPATIBLE_API_KEYS: 'sk-typo-without-host' }));
    expect(message).toContain('OPENAI_COMPATIBLE_API_KEYS="(hidden)"');
    expect(message).not.toContain('sk-typo');
    expect(refusal(() => resolveSettings({ openAICompatibleApiKeys: 'sk-typo' }))).not.toContain('sk-typo');
  });

  it('apiKeyFor: the host’s own key, else its dns+ entry’s, else the runtime’s', () => {
    const settings = resolveSettings(
      settingsFromEnv({
        OPENAI_COMPATIBLE_HOSTS: 'http://a:1,dns+http://pool.svc:8080,http://c:3',
        OPENAI_COMPATIBLE_API_KEY: 'everyone',
        OPENAI_COMPATIBLE_API_KEYS: 'http://a:1=key-a,dns+http://pool.svc:8080=key-pool,http://10.0.0.7:8080=key-pod',
      }),
    );
    const runtime = settings.runtimes.openai_compatible;
    expect(runtime).toMatchObject({ enabled: true, hosts: ['http://a:1', 'dns+http://pool.svc:8080', 'http://c:3'] });
    expect(apiKeyFor(runtime, 'http://a:1')).toBe('key-a');
    expect(apiKeyFor(runtime, 'http://c:3')).toBe('everyone');
    expect(apiKeyFor(runtime, 'http://10.0.0.6:8080', 'dns+http://pool.svc:8080')).toBe('key-pool');
    expect(apiKeyFor(runtime, 'http://10.0.0.7:8080', 'dns+http://pool.svc:8080')).toBe('key-pod');
    expect(apiKeyFor(settings.runtimes.llama_cpp, 'http://a:1')).toBeUndefined();
  });
});

describe('AUTOBYTEUS_DNS_SERVERS', () => {
  it('takes ip, ip:port, bare IPv6 and [ipv6]:port; empty means the system resolvers', () => {
    expect(parseDnsServers('10.96.0.10, 127.0.0.1:5353, ::1, [fd00::a]:53')).toEqual([
      '10.96.0.10',
      '127.0.0.1:5353',
      '::1',
      '[fd00::a]:53',
    ]);
    expect(resolveSettings(settingsFromEnv({ AUTOBYTEUS_DNS_SERVERS: '127.0.0.1:5353' })).dnsServers).toEqual([
      '127.0.0.1:5353',
    ]);
    expect(resolveSettings(settingsFromEnv({})).dnsServers).toEqual([]);
  });

  it('refuses names, bad ports and mis-bracketed addresses, naming the entry', () => {
    for (const bad of ['dns.google', 'kube-dns:53', '127.0.0.1:0', '127.0.0.1:65536', '[127.0.0.1]:53', '1.2.3']) {
      expect(refusal(() => parseDnsServers(bad))).toContain(`"${bad}" is not one`);
    }
    expect(refusal(() => settingsFromEnv({ AUTOBYTEUS_DNS_SERVERS: 'kube-dns' }))).toContain(
      'AUTOBYTEUS_DNS_SERVERS="kube-dns"',
    );
  });
});
