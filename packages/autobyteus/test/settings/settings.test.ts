import { describe, expect, it } from 'vitest';
import { normalizeHostUrl, parseHostList } from '../../src/settings/host-url.js';
import { resolveSettings, SettingsError, settingsFromEnv } from '../../src/settings/settings.js';
import { MemoryLogger } from '../support/factory.js';

describe('host URLs', () => {
  it('tolerates trailing slashes, /v1 and a missing scheme; keeps https', () => {
    expect(normalizeHostUrl('http://localhost:8000/')).toBe('http://localhost:8000');
    expect(normalizeHostUrl('http://localhost:8000/v1/')).toBe('http://localhost:8000');
    expect(normalizeHostUrl('localhost:8001')).toBe('http://localhost:8001');
    expect(normalizeHostUrl('https://gpu.example.com/llama/v1')).toBe('https://gpu.example.com/llama');
  });

  it('collects invalid entries instead of failing the whole list', () => {
    const parsed = parseHostList('http://a:1, ftp://b:2 ,, http://a:1/v1, http://[bad');
    expect(parsed.hosts).toEqual(['http://a:1']);
    expect(parsed.invalid.map((i) => i.value)).toEqual(['ftp://b:2', 'http://[bad']);
  });
});

describe('settings', () => {
  it('llama.cpp and MLX are off by default and on with hosts or AUTOBYTEUS_LOCAL_ENGINES', () => {
    const none = resolveSettings(settingsFromEnv({}));
    expect(none.runtimes.llama_cpp.enabled).toBe(false);
    expect(none.runtimes.mlx.enabled).toBe(false);
    expect(none.runtimes.ollama).toMatchObject({ enabled: true, hosts: ['http://localhost:11434'] });
    expect(none.runtimes.lmstudio).toMatchObject({ enabled: true, hosts: ['http://localhost:1234'] });
    const flag = resolveSettings(settingsFromEnv({ AUTOBYTEUS_LOCAL_ENGINES: 'true' }));
    expect(flag.runtimes.llama_cpp).toMatchObject({ enabled: true, hosts: ['http://localhost:8000'] });
    expect(flag.runtimes.mlx).toMatchObject({ enabled: true, hosts: ['http://localhost:8001'] });
    const hosts = resolveSettings(settingsFromEnv({ LLAMACPP_HOSTS: 'http://gpu:9000/v1,http://gpu2:9000' }));
    expect(hosts.runtimes.llama_cpp).toMatchObject({ enabled: true, hosts: ['http://gpu:9000', 'http://gpu2:9000'] });
    expect(hosts.runtimes.mlx.enabled).toBe(false);
  });

  it('reads every key from the environment', () => {
    const s = resolveSettings(
      settingsFromEnv({
        LLAMACPP_HOSTS: 'http://h:1',
        LLAMACPP_HEALTHCHECK: 'false',
        LLAMACPP_API_KEY: 'k',
        MLX_HOSTS: 'http://m:2',
        LMSTUDIO_HOSTS: '',
        OLLAMA_HOSTS: 'http://o:3',
        AUTOBYTEUS_DISCOVERY_TIMEOUT_MS: '1500',
        AUTOBYTEUS_IDLE_TIMEOUT_MS: '2000',
        HF_HOME: '/data/hf',
      }),
    );
    expect(s.runtimes.llama_cpp).toEqual({ enabled: true, hosts: ['http://h:1'], apiKey: 'k', healthcheck: false });
    expect(s.runtimes.mlx.hosts).toEqual(['http://m:2']);
    expect(s.runtimes.lmstudio.enabled).toBe(false); // set but empty: turned off
    expect(s.runtimes.ollama.hosts).toEqual(['http://o:3']);
    expect(s.discoveryTimeoutMs).toBe(1500);
    expect(s.idleTimeoutMs).toBe(2000);
    expect(s.huggingFaceCacheDir).toBe('/data/hf/hub');
  });

  it('an empty host list in the settings object disables a runtime', () => {
    expect(resolveSettings({ ollamaHosts: [] }).runtimes.ollama.enabled).toBe(false);
  });

  it('reports an invalid host once and skips it', () => {
    const logger = new MemoryLogger();
    const s = resolveSettings({ llamaCppHosts: 'http://ok:1,notaurl://x' }, logger);
    expect(s.runtimes.llama_cpp.hosts).toEqual(['http://ok:1']);
    expect(logger.warnings()).toEqual(['Skipping invalid host in LLAMACPP_HOSTS']);
    expect(logger.lines[0]?.fields).toMatchObject({
      value: 'notaurl://x',
      reason: expect.stringContaining('unsupported scheme'),
    });
  });

  it('refuses a bad number or boolean naming key, value and expectation', () => {
    expect(() => settingsFromEnv({ AUTOBYTEUS_DISCOVERY_TIMEOUT_MS: 'soon' })).toThrow(SettingsError);
    expect(() => settingsFromEnv({ AUTOBYTEUS_DISCOVERY_TIMEOUT_MS: 'soon' })).toThrow(
      'Invalid setting AUTOBYTEUS_DISCOVERY_TIMEOUT_MS="soon": expected a whole number of milliseconds',
    );
    expect(() => settingsFromEnv({ LLAMACPP_HEALTHCHECK: 'maybe' })).toThrow(/expected true or false/);
    expect(() => resolveSettings({ discoveryTimeoutMs: 0 })).toThrow(/AUTOBYTEUS_DISCOVERY_TIMEOUT_MS/);
  });
});
