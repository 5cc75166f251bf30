import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_HOSTS, LLMRuntime, resolveSettings } from 'autobyteus';
import { describe, expect, it } from 'vitest';
import { toLibrarySettings } from '../../src/config/library-settings.js';
import { loadServerConfig } from '../../src/config/server-config.js';
import { isInManagedRange, managedPortRange, withoutOwnManagedHosts } from '../../src/engines/managed-ports.js';
import { LLAMA_CPP_SPEC } from '../../src/engines/specs/llama-cpp.js';
import { MLX_SPEC } from '../../src/engines/specs/mlx.js';

function config(env: Record<string, string> = {}) {
  const home = mkdtempSync(join(tmpdir(), 'autobyteus-ports-'));
  return loadServerConfig({ env: { AUTOBYTEUS_HOME: home, ...env }, cwd: home });
}

describe('managed engine ports', () => {
  it('default to 18000-18199 (llama.cpp) and 18200-18399 (MLX): apart, and clear of 8000, 8001 and 8765', () => {
    const c = config();
    const llama = managedPortRange(c, LLAMA_CPP_SPEC);
    const mlx = managedPortRange(c, MLX_SPEC);
    expect(llama).toEqual({ first: 18000, last: 18199 });
    expect(mlx).toEqual({ first: 18200, last: 18399 });
    // 8000: autobyteus-server-ts and a llama-server people run themselves; 8001: the library's MLX
    // default host; 8765: this server.
    for (const port of [8000, 8001, 8080, c.values.AUTOBYTEUS_PORT]) {
      expect(port < llama.first || port > llama.last).toBe(true);
      expect(port < mlx.first || port > mlx.last).toBe(true);
    }
  });

  it("keeps LLAMACPP_HOSTS's documented default, http://localhost:8000, for a llama-server run by hand", () => {
    expect(DEFAULT_HOSTS[LLMRuntime.LLAMA_CPP]).toBe('http://localhost:8000');
    const c = config({ AUTOBYTEUS_LOCAL_ENGINES: 'true', LLAMACPP_MANAGED: 'true' });
    const settings = resolveSettings(toLibrarySettings(withoutOwnManagedHosts(c).config));
    expect(settings.runtimes[LLMRuntime.LLAMA_CPP]).toMatchObject({ enabled: true, hosts: ['http://localhost:8000'] });
  });

  it('recognises loopback URLs in a range, whatever the loopback name', () => {
    const range = { first: 18000, last: 18199 };
    for (const url of [
      'http://127.0.0.1:18000',
      'http://localhost:18199',
      'http://[::1]:18050',
      'http://127.1.2.3:18001',
    ]) {
      expect(isInManagedRange(url, range), url).toBe(true);
    }
    for (const url of ['http://127.0.0.1:8000', 'http://127.0.0.1:18200', 'http://gpu-box:18000', 'not a url']) {
      expect(isInManagedRange(url, range), url).toBe(false);
    }
  });

  it('leaves out configured hosts that are the managed engine, only while it is managed', () => {
    const hosts = 'http://127.0.0.1:18000,http://localhost:18003,http://localhost:8000,http://gpu-box:18000';
    const managed = withoutOwnManagedHosts(config({ LLAMACPP_MANAGED: 'true', LLAMACPP_HOSTS: hosts }));
    expect(managed.config.values.LLAMACPP_HOSTS).toEqual(['http://localhost:8000', 'http://gpu-box:18000']);
    expect(managed.dropped.map((d) => d.host)).toEqual(['http://127.0.0.1:18000', 'http://localhost:18003']);
    expect(managed.dropped[0]).toMatchObject({ key: 'LLAMACPP_HOSTS', range: { first: 18000, last: 18199 } });

    const external = withoutOwnManagedHosts(config({ LLAMACPP_HOSTS: hosts }));
    expect(external.dropped).toEqual([]);
    expect(external.config.values.LLAMACPP_HOSTS).toHaveLength(4);
    const offByManagement = withoutOwnManagedHosts(
      config({ LLAMACPP_MANAGED: 'true', LLM_HOST_MANAGEMENT: 'external', LLAMACPP_HOSTS: hosts }),
    );
    expect(offByManagement.dropped).toEqual([]);
  });

  it('follows a moved managed port', () => {
    const c = config({
      LLAMACPP_MANAGED: 'true',
      LLAMACPP_MANAGED_PORT: '8000',
      LLAMACPP_HOSTS: 'http://localhost:8000',
    });
    expect(withoutOwnManagedHosts(c).config.values.LLAMACPP_HOSTS).toEqual([]);
  });
});
