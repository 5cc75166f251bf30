import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, llamaServerBinary, smolLmGguf } from '../../../autobyteus/test/support/real-engines.js';
import { isProcessAlive as alive } from '../../src/io/process-liveness.js';
import {
  type CliProcess,
  cleanEnv,
  runCli,
  startCliProcess,
  startServerProcess,
  tempHome,
} from '../support/server-process.js';

// One model over several machines, on loopback: two `autobyteus-server worker` processes, each
// running the real llama.cpp RPC server built beside the test llama-server (found through
// LLAMACPP_BINARY_PATH's folder), and a server whose managed llama-server is started with
// `--rpc` (LLAMACPP_RPC_SERVERS) and serves SmolLM2 by name.
const NO_PROBES = '[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n';
const MODEL = 'SmolLM2-135M-Instruct.Q4_1';
/** The worker's line once its RPC server accepts connections: host, port, pid. */
const READY = /rpc-server ready on (\S+):(\d+) \(pid (\d+)\)/;

let running: Array<{ stop(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(running.map((started) => started.stop()));
  running = [];
});

/** `worker --port <free port>` on a fresh home whose llama-server is the test one. */
async function startWorker(args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<CliProcess> {
  const worker = await startCliProcess(
    tempHome(NO_PROBES),
    ['worker', '--port', String(await freePort()), ...args],
    { LLAMACPP_BINARY_PATH: llamaServerBinary(), ...env },
    READY,
    60_000,
  );
  running.push(worker);
  return worker;
}

/** Client connections the worker's RPC server reported accepting (its readiness probe's included). */
const accepted = (worker: CliProcess) =>
  worker
    .output()
    .split('\n')
    .filter((line) => line === 'Accepted client connection').length;

describe('a model spread over two llama.cpp RPC workers (real rpc-server and llama-server)', () => {
  it('serves a chat by name from a managed llama-server started with --rpc, each worker taking part', async () => {
    const workers = [await startWorker(), await startWorker()];
    const endpoints = workers.map((worker) => `127.0.0.1:${worker.ready[2]}`);
    // So far only the readiness probe has connected.
    const probed = workers.map(accepted);
    const server = await startServerProcess(
      tempHome(NO_PROBES),
      [],
      {
        AUTOBYTEUS_PORT: '0',
        LOG_LEVEL: 'debug',
        LLAMACPP_MANAGED: 'true',
        LLAMACPP_BINARY_PATH: llamaServerBinary(),
        LLAMACPP_DEFAULT_MODEL: smolLmGguf(),
        LLAMACPP_MANAGED_PORT: String(await freePort()),
        LLAMACPP_RPC_SERVERS: endpoints.join(','),
        // Verbose: llama-server then logs where each model buffer went.
        LLAMACPP_EXTRA_ARGS: '-v',
      },
      'serve',
      180_000,
    );
    running.push(server);

    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: MODEL,
        messages: [{ role: 'user', content: 'Say hello.' }],
        max_tokens: 8,
        temperature: 0,
      }),
    });
    const body = await response.text();
    expect(response.status, body).toBe(200);
    expect((JSON.parse(body).choices[0].message.content as string).trim()).not.toBe('');

    const models = (await (await fetch(`${server.url}/api/ps`)).json()).models as Array<{ id: string; pid?: number }>;
    const pid = models.find((model) => model.id === MODEL)?.pid;
    expect(pid, JSON.stringify(models)).toBeGreaterThan(0);
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    expect(argv[argv.indexOf('--rpc') + 1]).toBe(endpoints.join(','));

    for (const [i, worker] of workers.entries()) {
      expect(accepted(worker), worker.output()).toBeGreaterThan(probed[i] as number);
    }
    // llama-server put part of the weights on each worker: "RPC0[127.0.0.1:P] model buffer size = 33.82 MiB".
    const engineLog = server.output();
    for (const endpoint of endpoints) {
      const buffer = new RegExp(
        `RPC\\d*\\[${endpoint.replaceAll('.', '\\.')}\\] model buffer size = +[1-9]\\d*\\.\\d+ MiB`,
      );
      expect(engineLog, `no model weights on ${endpoint}`).toMatch(buffer);
    }
  }, 300_000);

  it('stops its RPC server on SIGINT (Ctrl-C) and exits', async () => {
    const worker = await startWorker();
    const rpcPid = Number(worker.ready[3]);
    expect(alive(rpcPid)).toBe(true);
    const exited = new Promise((resolve) => worker.child.once('exit', resolve));
    worker.child.kill('SIGINT');
    await exited;
    expect(alive(rpcPid)).toBe(false);
  }, 120_000);

  it('binds beyond loopback only with ALLOW_REMOTE=true, and then warns that RPC is insecure', async () => {
    const home = tempHome(NO_PROBES);
    const refused = await runCli(
      ['worker', '--host', '0.0.0.0', '--port', String(await freePort())],
      cleanEnv(home, { LLAMACPP_BINARY_PATH: llamaServerBinary() }),
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /refusing to bind the RPC worker to 0\.0\.0\.0: llama\.cpp's RPC protocol has no authentication or encryption.*ALLOW_REMOTE=true/,
    );
    expect(refused.stdout).toBe('');

    const allowed = await startWorker(['--host', '0.0.0.0'], { ALLOW_REMOTE: 'true' });
    expect(allowed.ready[1]).toBe('0.0.0.0');
    await allowed.waitForOutput(/warning: the RPC worker listens on 0\.0\.0\.0:\d+ with no authentication/);
  }, 120_000);

  it('says how to get the RPC server when none is installed', async () => {
    const home = tempHome(NO_PROBES);
    const result = await runCli(['worker', '--port', String(await freePort())], cleanEnv(home));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('run `autobyteus-server engines install llama-cpp --force` (builds rpc-server)');
  }, 60_000);
});
