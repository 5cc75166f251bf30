import { LIBRARY_SETTINGS, LLMFactory, silentLogger } from 'autobyteus';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../src/config/config-keys.js';
import { toLibrarySettings } from '../../src/config/library-settings.js';
import { ConfigError, loadServerConfig } from '../../src/config/server-config.js';
import { cleanEnv, runCli, startServerProcess, tempHome } from '../support/server-process.js';

/** Values worth trying for a key of each type: edges, garbage, and typical good ones. */
const CANDIDATES: Record<string, string[]> = {
  int: ['0', '1', '-1', '1.5', '65535', '65536', 'abc', ' 7 ', '99999999999999999999'],
  boolean: ['true', 'false', '1', '0', 'yes', 'maybe', ''],
  hosts: ['http://127.0.0.1:9', 'https://h:1/v1/', 'ftp://x', 'not a url', '', 'http://a:1,http://b:2'],
  string: ['x', ''],
  path: ['/tmp/x', '~/y', '   '],
  enum: ['auto', 'info', 'managed', 'nonsense'],
  args: ['--a 1', ''],
  duration: ['0', '-1', '30', '1h30m', '250ms', '5 minutes', 'abc', ''],
  bytes: ['0', '8GB', '512MiB', '1.5GiB', '-1', '8G', 'lots', ''],
};

type Verdict = { ok: true } | { ok: false; message: string };

function checkVerdict(home: string, env: NodeJS.ProcessEnv): Verdict {
  try {
    loadServerConfig({ env: { AUTOBYTEUS_HOME: home, ...env }, cwd: home });
    return { ok: true };
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, message: error.message };
    throw error;
  }
}

/** What `serve` builds after the configuration: the library factory with the server's settings object. */
function serveVerdict(home: string, env: NodeJS.ProcessEnv): Verdict {
  const first = checkVerdict(home, env);
  if (!first.ok) return first;
  const config = loadServerConfig({ env: { AUTOBYTEUS_HOME: home, ...env }, cwd: home });
  try {
    new LLMFactory({ settings: toLibrarySettings(config), logger: silentLogger });
    return { ok: true };
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
}

describe('config check and serve agree on every value of every key', () => {
  const home = tempHome();
  for (const key of CONFIG_KEYS) {
    it(`${key.env} (${key.type})`, () => {
      for (const value of [...(CANDIDATES[key.type] ?? []), ...('default' in key ? [key.default] : [])]) {
        const env = { [key.env]: value };
        const check = checkVerdict(home, env);
        const serve = serveVerdict(home, env);
        expect(serve.ok, `${key.env}=${JSON.stringify(value)}: check ${check.ok}, serve ${JSON.stringify(serve)}`).toBe(
          check.ok,
        );
        // A refusal names the key and where the value came from.
        if (!check.ok) expect(check.message).toContain(`${key.env}=${JSON.stringify(value)} (from environment)`);
      }
    });
  }

  it('every library setting is a row of the server table, declared once', () => {
    for (const row of LIBRARY_SETTINGS) {
      const rows = CONFIG_KEYS.filter((k) => k.env === row.env);
      expect(rows, row.env).toEqual([row]);
    }
    expect(new Set(CONFIG_KEYS.map((k) => k.env)).size).toBe(CONFIG_KEYS.length);
    expect(new Set(CONFIG_KEYS.map((k) => k.toml)).size).toBe(CONFIG_KEYS.length);
  });
});

describe('zero timeouts: the CLI refuses them in config check and in serve alike, naming the source', () => {
  for (const key of [
    'AUTOBYTEUS_DISCOVERY_TIMEOUT_MS',
    'AUTOBYTEUS_IDLE_TIMEOUT_MS',
    'AUTOBYTEUS_CONNECT_TIMEOUT_MS',
  ]) {
    it(key, async () => {
      const home = tempHome();
      const env = cleanEnv(home, { [key]: '0', LMSTUDIO_HOSTS: '', OLLAMA_HOSTS: '' });
      const check = await runCli(['config', 'check'], env);
      expect(check.code).toBe(2);
      expect(check.stderr).toContain(`${key}="0" (from environment): expected a whole number of milliseconds >= 1`);
      const serve = await startServerProcess(home, ['--port', '0'], env).then(
        async (server) => {
          await server.stop();
          return 'started';
        },
        (error: Error) => error.message,
      );
      expect(serve).toContain(`${key}="0" (from environment)`);
    });
  }
});
