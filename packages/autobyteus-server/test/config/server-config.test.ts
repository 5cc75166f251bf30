import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../src/config/config-keys.js';
import { toLibrarySettings } from '../../src/config/library-settings.js';
import { ConfigError, loadServerConfig } from '../../src/config/server-config.js';
import { cleanEnv, runCli, tempHome } from '../support/server-process.js';

const entry = (config: ReturnType<typeof loadServerConfig>, key: string) =>
  config.entries.find((e) => e.key.env === key);

describe('configuration precedence: command line > environment > .env > config.toml > defaults', () => {
  it('takes each value from the highest source that sets it, and says which', () => {
    const home = tempHome(`
[server]
port = 9100
log_level = "debug"
[llama_cpp]
hosts = ["http://file-host:8000"]
api_key = "from-file"
healthcheck = false
[mlx]
hosts = "http://mlx-file:8001"
`);
    writeFileSync(join(home, '.env'), 'AUTOBYTEUS_PORT=9200\nLLAMACPP_HOSTS=http://dotenv-host:8000\n');
    const config = loadServerConfig({
      env: { AUTOBYTEUS_HOME: home, AUTOBYTEUS_PORT: '9300' },
      cwd: home,
      overrides: { AUTOBYTEUS_HOST: '127.0.0.2' },
    });
    expect(config.values.AUTOBYTEUS_HOST).toBe('127.0.0.2');
    expect(entry(config, 'AUTOBYTEUS_HOST')?.source).toBe('command line');
    expect(config.values.AUTOBYTEUS_PORT).toBe(9300);
    expect(entry(config, 'AUTOBYTEUS_PORT')?.source).toBe('environment');
    expect(config.values.LLAMACPP_HOSTS).toEqual(['http://dotenv-host:8000']);
    expect(entry(config, 'LLAMACPP_HOSTS')?.source).toBe('.env');
    expect(config.values.LLAMACPP_API_KEY).toBe('from-file');
    expect(config.values.LLAMACPP_HEALTHCHECK).toBe(false);
    expect(config.values.MLX_HOSTS).toEqual(['http://mlx-file:8001']);
    expect(entry(config, 'LOG_LEVEL')?.source).toBe('config.toml');
    expect(config.values.AUTOBYTEUS_DISCOVERY_TIMEOUT_MS).toBe(3000);
    expect(entry(config, 'AUTOBYTEUS_DISCOVERY_TIMEOUT_MS')?.source).toBe('default');
  });

  it('hands the library a settings object (never process.env)', () => {
    const home = tempHome('[llama_cpp]\nhosts = ["http://a:1"]\napi_key = "k"\n[ollama]\nhosts = ""\n');
    const settings = toLibrarySettings(loadServerConfig({ env: { AUTOBYTEUS_HOME: home }, cwd: home }));
    expect(settings).toMatchObject({ llamaCppHosts: ['http://a:1'], llamaCppApiKey: 'k', ollamaHosts: [] });
  });

  it('refuses bad values, naming key, value, source and expectation, all at once', () => {
    const home = tempHome('[server]\nport = "eighty"\n[llama_cpp]\nbackend = "tpu"\n');
    let error: ConfigError | undefined;
    try {
      loadServerConfig({
        env: { AUTOBYTEUS_HOME: home, LLAMACPP_HOSTS: 'http://ok:1,ftp://nope', ALLOW_REMOTE: 'perhaps' },
        cwd: home,
      });
    } catch (e) {
      error = e as ConfigError;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error?.issues.map((i) => i.key).sort()).toEqual([
      'ALLOW_REMOTE',
      'LLAMACPP_HOSTS',
      'llama_cpp.backend',
      'server.port',
    ]);
    expect(error?.message).toContain(
      'server.port="eighty" (from config.toml): expected a port between 0 (any free port) and 65535',
    );
    expect(error?.message).toContain(
      'llama_cpp.backend="tpu" (from config.toml): expected one of auto, cpu, cuda, vulkan, metal',
    );
    expect(error?.message).toContain('ALLOW_REMOTE="perhaps" (from environment): expected true or false');
    expect(error?.message).toMatch(/LLAMACPP_HOSTS=.*ftp:\/\/nope.*unsupported scheme ftp/);
  });

  it('warns about unknown keys instead of failing', () => {
    const home = tempHome('[server]\nprot = 1\n[llama]\nhosts = "x"\n');
    const config = loadServerConfig({ env: { AUTOBYTEUS_HOME: home, LLAMACPP_HOST: 'typo' }, cwd: home });
    expect(config.warnings).toEqual(
      expect.arrayContaining([
        'unknown setting LLAMACPP_HOST in the environment (ignored)',
        expect.stringContaining('unknown key "server.prot"'),
        expect.stringContaining('unknown key "llama.hosts"'),
      ]),
    );
  });

  it('a TOML syntax error is a clear refusal', () => {
    const home = tempHome('[server\nport = 1');
    expect(() => loadServerConfig({ env: { AUTOBYTEUS_HOME: home }, cwd: home })).toThrow(/expected valid TOML/);
  });
});

describe('config check (CLI)', () => {
  it('prints every key with its source, secrets masked', async () => {
    const home = tempHome('[llama_cpp]\napi_key = "super-secret-key-123"\n');
    const result = await runCli(
      ['config', 'check'],
      cleanEnv(home, { HF_TOKEN: 'hf_secret_token_456', AUTOBYTEUS_PORT: '9999' }),
    );
    expect(result.code).toBe(0);
    expect(result.stdout).not.toContain('super-secret-key-123');
    expect(result.stdout).not.toContain('hf_secret_token_456');
    expect(result.stdout).toMatch(/LLAMACPP_API_KEY\s+•+ \(20 chars\)\s+config.toml/);
    expect(result.stdout).toMatch(/AUTOBYTEUS_PORT\s+9999\s+environment/);
    for (const key of CONFIG_KEYS) expect(result.stdout).toContain(key.env);
  });

  it('exits 2 with the reason on a bad value', async () => {
    const home = tempHome();
    const result = await runCli(['config', 'check'], cleanEnv(home, { AUTOBYTEUS_PORT: '70000' }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'AUTOBYTEUS_PORT="70000" (from environment): expected a port between 0 (any free port) and 65535',
    );
  });

  it('--json on config check and --help on every command', async () => {
    const home = tempHome();
    const json = await runCli(['config', 'check', '--json'], cleanEnv(home));
    expect(JSON.parse(json.stdout).values.length).toBe(CONFIG_KEYS.length);
    for (const command of [
      ['serve'],
      ['up'],
      ['models', 'list'],
      ['models', 'pull'],
      ['models', 'catalog'],
      ['engines', 'list'],
      ['engines', 'doctor'],
      ['engines', 'install'],
      ['engines', 'upgrade'],
      ['engines', 'rollback'],
      ['engines', 'remove'],
      ['engines', 'start'],
      ['engines', 'stop'],
      ['engines', 'status'],
      ['health'],
      ['reload'],
      ['chat'],
      ['config', 'check'],
      ['worker'],
    ]) {
      const help = await runCli([...command, '--help'], cleanEnv(home));
      expect(help.code, command.join(' ')).toBe(0);
      expect(help.stdout).toContain('Usage: autobyteus-server');
    }
  }, 120_000);
});

describe('.env.example', () => {
  it('documents every key with a comment', async () => {
    const { readFileSync } = await import('node:fs');
    const text = readFileSync(join(import.meta.dirname, '..', '..', '..', '..', '.env.example'), 'utf8');
    const lines = text.split('\n');
    for (const key of CONFIG_KEYS) {
      const index = lines.findIndex((line) => new RegExp(`^#? ?${key.env}=`).test(line));
      expect(index, key.env).toBeGreaterThan(0);
      expect(lines[index - 1]?.startsWith('# '), key.env).toBe(true);
    }
  });
});
