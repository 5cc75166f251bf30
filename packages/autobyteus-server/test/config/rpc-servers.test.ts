import { describe, expect, it } from 'vitest';
import { ConfigError, loadServerConfig } from '../../src/config/server-config.js';
import { tempHome } from '../support/server-process.js';

const load = (env: NodeJS.ProcessEnv, toml = '') => {
  const home = tempHome(toml);
  return loadServerConfig({ env: { AUTOBYTEUS_HOME: home, ...env }, cwd: home });
};

describe('LLAMACPP_RPC_SERVERS (llama_cpp.rpc_servers) and AUTOBYTEUS_WORKER_PORT (worker.port)', () => {
  it('reads host:port lists from the environment (comma-separated) and config.toml (a list) alike', () => {
    expect(
      load({ LLAMACPP_RPC_SERVERS: '10.0.0.2:50052, gpu-box.lan:50053,[fd00::2]:1' }).values.LLAMACPP_RPC_SERVERS,
    ).toEqual(['10.0.0.2:50052', 'gpu-box.lan:50053', '[fd00::2]:1']);
    expect(
      load({}, '[llama_cpp]\nrpc_servers = ["10.0.0.2:50052", "10.0.0.3:50052"]\n').values.LLAMACPP_RPC_SERVERS,
    ).toEqual(['10.0.0.2:50052', '10.0.0.3:50052']);
    expect(load({}).values.LLAMACPP_RPC_SERVERS).toBeUndefined();
    expect(load({ LLAMACPP_RPC_SERVERS: '' }).values.LLAMACPP_RPC_SERVERS).toEqual([]);
  });

  it('refuses an entry that is not host:port, naming it and where it came from', () => {
    for (const bad of ['10.0.0.2', 'http://10.0.0.2:50052', '10.0.0.2:0', '10.0.0.2:65536', 'a_b:1', 'fd00::2:50052']) {
      const error = (() => {
        try {
          load({ LLAMACPP_RPC_SERVERS: `10.0.0.9:50052,${bad}` });
        } catch (e) {
          return e;
        }
      })();
      expect(error, bad).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain(`LLAMACPP_RPC_SERVERS="10.0.0.9:50052,${bad}" (from environment)`);
      expect((error as Error).message).toContain(`"${bad}" is not host:port`);
    }
    expect(() => load({}, '[llama_cpp]\nrpc_servers = ["nope"]\n')).toThrow(
      /llama_cpp\.rpc_servers="nope" \(from config\.toml\)/,
    );
  });

  it('defaults the worker port to 50052 and bounds it', () => {
    expect(load({}).values.AUTOBYTEUS_WORKER_PORT).toBe(50052);
    expect(load({}, '[worker]\nport = 50100\n').values.AUTOBYTEUS_WORKER_PORT).toBe(50100);
    expect(() => load({ AUTOBYTEUS_WORKER_PORT: '0' })).toThrow(ConfigError);
    expect(() => load({ AUTOBYTEUS_WORKER_PORT: '65536' })).toThrow(ConfigError);
  });
});
