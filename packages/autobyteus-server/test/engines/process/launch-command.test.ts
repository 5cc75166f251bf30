import { describe, expect, it } from 'vitest';
import {
  bindHost,
  DEFAULT_RESTART_POLICY,
  llamaServerCommand,
  mlxServerCommand,
  portOf,
  probeUrl,
  restartDelayMs,
} from '../../../src/engines/process/index.js';

describe('launch commands', () => {
  it('binds llama-server to loopback unless remote access is allowed', () => {
    const base = { binary: '/opt/llama-server', modelPath: '/m/model.gguf', hostUrl: 'http://192.168.1.5:8000' };
    expect(llamaServerCommand({ ...base, allowRemote: false, extraArgs: ['-c', '4096'] })).toEqual({
      argv: ['/opt/llama-server', '-m', '/m/model.gguf', '--host', '127.0.0.1', '--port', '8000', '-c', '4096'],
      env: {},
    });
    expect(llamaServerCommand({ ...base, allowRemote: true }).argv).toContain('192.168.1.5');
  });

  it('passes the llama-server API key in the environment, not in argv', () => {
    const command = llamaServerCommand({
      binary: 'llama-server',
      modelPath: 'm.gguf',
      hostUrl: 'http://localhost:8000',
      allowRemote: false,
      apiKey: 'k-123',
    });
    expect(command.argv.join(' ')).not.toContain('k-123');
    expect(command.env).toEqual({ LLAMA_API_KEY: 'k-123' });
  });

  it('hands the RPC workers to llama-server as one --rpc flag, after the alias and before the extra arguments', () => {
    const options = { binary: 'b', modelPath: 'm', hostUrl: 'http://localhost:8000', allowRemote: false };
    expect(
      llamaServerCommand({
        ...options,
        alias: 'a',
        rpcServers: ['10.0.0.2:50052', '10.0.0.3:50053'],
        extraArgs: ['-v'],
      }).argv,
    ).toEqual([
      'b',
      '-m',
      'm',
      '--host',
      '127.0.0.1',
      '--port',
      '8000',
      '--alias',
      'a',
      '--rpc',
      '10.0.0.2:50052,10.0.0.3:50053',
      '-v',
    ]);
    expect(llamaServerCommand({ ...options, rpcServers: [] }).argv).not.toContain('--rpc');
  });

  it('rejects --host and --port in the extra arguments', () => {
    const options = { binary: 'b', modelPath: 'm', hostUrl: 'http://localhost:8000', allowRemote: false };
    expect(() => llamaServerCommand({ ...options, extraArgs: ['--port', '9'] })).toThrow(/must not contain --port/);
    expect(() => llamaServerCommand({ ...options, extraArgs: ['--host=0.0.0.0'] })).toThrow(/--host/);
  });

  it("rejects an API key of its own in the extra arguments: the managed engine gets the server's", () => {
    const options = { binary: 'b', modelPath: 'm', hostUrl: 'http://localhost:8000', allowRemote: false };
    expect(() => llamaServerCommand({ ...options, extraArgs: ['--api-key', 'mine'] })).toThrow(
      /must not contain --api-key: the server gives each managed engine a secret key of its own/,
    );
    expect(() => llamaServerCommand({ ...options, extraArgs: ['--api-key-file=/k'] })).toThrow(/--api-key-file/);
  });

  it('builds the mlx_lm.server command, or fills the placeholders of a user launch command', () => {
    const options = {
      python: '/venv/bin/python',
      model: 'org/model',
      hostUrl: 'http://localhost:8001',
      allowRemote: false,
    };
    expect(mlxServerCommand(options).argv).toEqual([
      '/venv/bin/python',
      '-m',
      'mlx_lm.server',
      '--model',
      'org/model',
      '--host',
      '127.0.0.1',
      '--port',
      '8001',
      '--allowed-origins',
      'none',
    ]);
    expect(
      mlxServerCommand({ ...options, launchCommand: ['mlx_lm.server', '--model={model}', '--bind', '{host}:{port}'] })
        .argv,
    ).toEqual(['mlx_lm.server', '--model=org/model', '--bind', '127.0.0.1:8001']);
  });

  it('derives ports and probe addresses from host URLs', () => {
    expect(portOf('http://localhost:8000')).toBe(8000);
    expect(portOf('http://localhost')).toBe(80);
    expect(bindHost('http://localhost:8000', true)).toBe('127.0.0.1');
    expect(probeUrl('http://0.0.0.0:8000')).toBe('http://127.0.0.1:8000');
    expect(probeUrl('http://[::1]:8000')).toBe('http://[::1]:8000');
  });
});

describe('restart back-off', () => {
  it('doubles from the base delay and stops at the cap', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => restartDelayMs(DEFAULT_RESTART_POLICY, n));
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });
});
