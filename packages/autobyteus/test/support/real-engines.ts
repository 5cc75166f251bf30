import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where `scripts/prepare-test-engines.sh` put the engines and models. */
export const TEST_CACHE = process.env.AUTOBYTEUS_TEST_CACHE ?? join(homedir(), '.cache', 'autobyteus-test');
const PREPARE = 'run `bash scripts/prepare-test-engines.sh` (the README test command does it for you)';

/** Fails loudly, never skips: the real-engine tests must run. */
function mustExist(path: string, what: string): string {
  if (!existsSync(path)) throw new Error(`${what} is not prepared: ${path} does not exist; ${PREPARE}`);
  return path;
}

export const llamaServerBinary = () =>
  mustExist(join(TEST_CACHE, 'llama-server', 'bin', 'llama-server'), 'llama-server');
export const smolLmGguf = () =>
  mustExist(join(TEST_CACHE, 'models', 'SmolLM2-135M-Instruct.Q4_1.gguf'), 'SmolLM2 GGUF');
/** SmolLM2 requantized Q4_1 → Q4_0 with the llama-quantize built beside llama-server. */
export const requantizedGguf = () =>
  mustExist(join(TEST_CACHE, 'models', 'SmolLM2-135M-Instruct.Q4_0.gguf'), 'the requantized SmolLM2 GGUF');
/** A tiny llama-architecture GGUF with random weights (`scripts/make-tiny-gguf.py`). */
export const tinyRandomGguf = () =>
  mustExist(join(TEST_CACHE, 'models', 'tiny-random-llama.gguf'), 'the tiny random-weight GGUF');
export const mlxPython = () => mustExist(join(TEST_CACHE, 'mlx-venv', 'bin', 'python'), 'the MLX venv');
export const mlxHubCache = () => mustExist(join(TEST_CACHE, 'hf-cache'), 'the MLX test model cache');
export const MLX_REPO_ID = 'autobyteus-test/SmolLM2-135M-Instruct-mlx';

/** The snapshot folder of the MLX test model inside the test hub cache. */
export function mlxModelPath(): string {
  const repo = mustExist(join(mlxHubCache(), `models--${MLX_REPO_ID.replace('/', '--')}`), 'the MLX test model');
  const [snapshot] = readdirSync(join(repo, 'snapshots'));
  if (!snapshot) throw new Error(`the MLX test model has no snapshot in ${repo}; ${PREPARE}`);
  return join(repo, 'snapshots', snapshot);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface RunningEngine {
  url: string;
  port: number;
  process: ChildProcess;
  /** stderr and stdout so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

async function startEngine(
  command: string,
  args: string[],
  port: number,
  env: NodeJS.ProcessEnv,
  isReady: (url: string) => Promise<boolean>,
  timeoutMs: number,
): Promise<RunningEngine> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null | undefined;
  child.once('exit', (code) => {
    exited = code;
  });
  const url = `http://127.0.0.1:${port}`;
  const engine: RunningEngine = {
    url,
    port,
    process: child,
    output: () => output,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      throw new Error(`${command} exited with ${exited} before it was ready:\n${output.slice(-3000)}`);
    }
    if (await isReady(url).catch(() => false)) return engine;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await engine.stop();
  throw new Error(`${command} was not ready within ${timeoutMs} ms:\n${output.slice(-3000)}`);
}

/** Starts the test suite's real llama-server with SmolLM2 on a free loopback port and waits for `/health` 200. */
export async function startLlamaServer(
  options: { apiKey?: string; contextSize?: number; extraArgs?: string[]; alias?: string } = {},
) {
  const port = await freePort();
  const args = [
    '-m',
    smolLmGguf(),
    '--alias',
    options.alias ?? 'SmolLM2-135M-Instruct',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '-c',
    String(options.contextSize ?? 2048),
    '-np',
    '2',
    '-t',
    '2',
    ...(options.apiKey ? ['--api-key', options.apiKey] : []),
    ...(options.extraArgs ?? []),
  ];
  return startEngine(
    llamaServerBinary(),
    args,
    port,
    {},
    async (url) => (await fetch(`${url}/health`)).status === 200,
    60_000,
  );
}

/**
 * Starts the real mlx_lm.server on the MLX test model. Its `/health` says 200 while still loading,
 * so readiness here is a one-token completion, the same rule the managed engine uses.
 */
export async function startMlxServer() {
  const port = await freePort();
  const model = mlxModelPath();
  return startEngine(
    mlxPython(),
    ['-m', 'mlx_lm.server', '--model', model, '--host', '127.0.0.1', '--port', String(port)],
    port,
    { HF_HUB_CACHE: mlxHubCache(), HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1' },
    async (url) => {
      const res = await fetch(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }),
      });
      return res.status === 200;
    },
    120_000,
  );
}
