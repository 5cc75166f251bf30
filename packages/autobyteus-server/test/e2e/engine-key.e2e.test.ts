import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  freePort,
  llamaServerBinary,
  MLX_REPO_ID,
  mlxHubCache,
  mlxModelPath,
  mlxPython,
  smolLmGguf,
} from '../../../autobyteus/test/support/real-engines.js';
import { isProcessAlive as alive } from '../../src/io/process-liveness.js';
import { cleanEnv, runCli, type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';

// The managed llama-server is locked with a secret only the server knows (a fresh one per launch, in
// the engine's environment and its 0600 PID file): a web page or another local user calling the
// engine's loopback port directly is refused, the gateway and this home's CLI get through, and a
// server started later adopts the engine with the recorded key, or restarts it when there is none.
const MODEL = 'SmolLM2-135M-Instruct.Q4_1';
const NO_DISCOVERY = '[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n';
const servers: ServerProcess[] = [];
const enginePids = new Set<number>();
afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
  for (const pid of enginePids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  enginePids.clear();
});

async function serve(home: string, env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServerProcess(home, [], { AUTOBYTEUS_PORT: '0', ...env }, 'serve', 120_000);
  servers.push(server);
  return server;
}

async function chatStatus(url: string): Promise<number> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, messages: [{ role: 'user', content: 'Say hi.' }], max_tokens: 4 }),
  });
  await response.arrayBuffer();
  return response.status;
}

/** The running engine of the default model, from `GET /api/ps`. */
async function loadedEngine(url: string, model = MODEL): Promise<{ pid: number; port: number }> {
  const { models } = (await (await fetch(`${url}/api/ps`)).json()) as {
    models: Array<{ id: string; state: string; pid?: number; port?: number }>;
  };
  const entry = models.find((m) => m.id === model && m.state === 'loaded');
  if (!entry?.pid || !entry.port) throw new Error(`${model} is not loaded: ${JSON.stringify(models)}`);
  enginePids.add(entry.pid);
  return { pid: entry.pid, port: entry.port };
}

/** Child processes of `pid` (the server's engine watchdogs among them), from /proc. */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((child) => {
      try {
        const stat = readFileSync(`/proc/${child}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    });
}

/**
 * Ends the server so that its engine lives on (as after a crash whose watchdog died too): the server is
 * frozen so it cannot start another watchdog, its watchdogs are killed, then the server.
 */
async function killServerLeavingEngine(server: ServerProcess): Promise<void> {
  const pid = server.child.pid as number;
  const gone = new Promise((resolve) => server.child.once('exit', resolve));
  process.kill(pid, 'SIGSTOP');
  for (const child of childrenOf(pid)) {
    const argv = readFileSync(`/proc/${child}/cmdline`, 'utf8').split('\0');
    if (argv[1] === '-e') process.kill(child, 'SIGKILL');
  }
  process.kill(pid, 'SIGKILL');
  await gone;
  servers.splice(servers.indexOf(server), 1);
}

function pidFileOf(home: string, port: number): string {
  return join(home, 'run', `llama-cpp-${port}.pid`);
}

describe('the managed llama-server demands a key only the server knows', () => {
  it('refuses direct callers, serves the gateway and the CLI, and is adopted with its key after a restart', async () => {
    const home = tempHome(NO_DISCOVERY);
    const env = {
      LLAMACPP_MANAGED: 'true',
      LLAMACPP_BINARY_PATH: llamaServerBinary(),
      LLAMACPP_DEFAULT_MODEL: smolLmGguf(),
      LLAMACPP_MANAGED_PORT: String(await freePort()),
      // A key the user configured for external hosts is not what the managed engine takes.
      LLAMACPP_API_KEY: 'users-own-key-for-external-hosts',
      AUTOBYTEUS_KEEP_ALIVE: '-1',
    };
    const first = await serve(home, env);
    const engine = await loadedEngine(first.url);
    const direct = `http://127.0.0.1:${engine.port}`;

    // Direct callers: no key, a wrong key, the user's configured key, a browser's cross-origin request.
    const noKey = await fetch(`${direct}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://evil.example' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 1 }),
    });
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ error: { type: 'authentication_error' } });
    for (const key of ['wrong', env.LLAMACPP_API_KEY]) {
      const refused = await fetch(`${direct}/props`, { headers: { authorization: `Bearer ${key}` } });
      expect(refused.status).toBe(401);
    }
    expect((await fetch(`${direct}/v1/models`)).status).toBe(401);

    // The gateway gets through (chat and a forwarded endpoint), and `models ps` has the engine's facts (/props).
    expect(await chatStatus(first.url)).toBe(200);
    const completions = await fetch(`${first.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, prompt: 'The sea is', max_tokens: 4 }),
    });
    expect(completions.status).toBe(200);
    const ps = (await (await fetch(`${first.url}/api/ps`)).json()) as { models: Array<{ contextSize?: number }> };
    expect(ps.models[0]?.contextSize).toBeGreaterThan(0);

    // The key is in neither the engine's command line nor a file others can read.
    const cmdline = readFileSync(`/proc/${engine.pid}/cmdline`, 'utf8');
    const environ = readFileSync(`/proc/${engine.pid}/environ`, 'utf8').split('\0');
    const key = environ.find((entry) => entry.startsWith('LLAMA_API_KEY='))?.slice('LLAMA_API_KEY='.length) ?? '';
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(cmdline).not.toContain(key);
    expect(cmdline).not.toContain('api-key');
    const pidFile = pidFileOf(home, engine.port);
    expect(statSync(pidFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(pidFile, 'utf8'))).toEqual({ pid: engine.pid, apiKey: key });
    expect((await fetch(`${direct}/props`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);

    // This home's CLI reads the key from the PID file: `chat` against the engine directly works.
    const cli = await runCli(['chat', MODEL, 'Say hi.', '--max-tokens', '4'], cleanEnv(home, env));
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stderr).toMatch(/\[(stop|length); \d+ tokens\]/);

    // A server started later adopts the engine (same process) with the recorded key.
    await killServerLeavingEngine(first);
    expect(alive(engine.pid)).toBe(true);
    const second = await serve(home, env);
    expect((await loadedEngine(second.url)).pid).toBe(engine.pid);
    await second.waitForOutput('adopting an engine already running');
    expect(await chatStatus(second.url)).toBe(200);

    // A PID file without a key (the format before keys): the engine is not trusted but replaced.
    await killServerLeavingEngine(second);
    writeFileSync(pidFile, `${engine.pid}\n`, { mode: 0o600 });
    const third = await serve(home, env);
    const replaced = await loadedEngine(third.url);
    expect(replaced.pid).not.toBe(engine.pid);
    expect(alive(engine.pid)).toBe(false);
    await third.waitForOutput('no usable key recorded; restarting it instead of adopting');
    expect(await chatStatus(third.url)).toBe(200);
    const newKey = (JSON.parse(readFileSync(pidFile, 'utf8')) as { apiKey: string }).apiKey;
    expect(newKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newKey).not.toBe(key);

    // A recorded key the engine refuses (written by someone else, or stale): replaced as well.
    await killServerLeavingEngine(third);
    writeFileSync(pidFile, JSON.stringify({ pid: replaced.pid, apiKey: 'A'.repeat(43) }), { mode: 0o600 });
    const fourth = await serve(home, env);
    expect((await loadedEngine(fourth.url)).pid).not.toBe(replaced.pid);
    await fourth.waitForOutput('adopted engine refuses its recorded key; restarting it');
    expect(await chatStatus(fourth.url)).toBe(200);
  }, 300_000);
});

describe('the managed mlx_lm.server (no API key option)', () => {
  it('allows no browser origin: a page cannot read its answers or send it JSON; the gateway still works', async () => {
    const home = tempHome(`${NO_DISCOVERY}[llama_cpp]\nhosts = ""\n`);
    const server = await serve(home, {
      MLX_MANAGED: 'true',
      MLX_PYTHON_BIN: mlxPython(),
      MLX_DEFAULT_MODEL: mlxModelPath(),
      MLX_MANAGED_PORT: String(await freePort()),
      HF_HUB_CACHE: mlxHubCache(),
      HF_HUB_OFFLINE: '1',
    });
    const models = (await (await fetch(`${server.url}/v1/models`)).json()).data as Array<{ id: string }>;
    expect(models.map((m) => m.id)).toContain(MLX_REPO_ID);
    const engine = await loadedEngine(server.url, MLX_REPO_ID);
    const direct = `http://127.0.0.1:${engine.port}`;
    const origin = 'http://evil.example';
    const preflight = await fetch(`${direct}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const read = await fetch(`${direct}/v1/models`, { headers: { origin } });
    expect(read.status).toBe(200);
    expect(read.headers.get('access-control-allow-origin')).toBeNull();
    // Sandboxed frames and file:// pages send `Origin: null`: not allowed either.
    const sandboxed = await fetch(`${direct}/v1/models`, { headers: { origin: 'null' } });
    expect(sandboxed.headers.get('access-control-allow-origin')).toBeNull();
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: MLX_REPO_ID, messages: [{ role: 'user', content: 'Say hi.' }], max_tokens: 4 }),
    });
    expect(response.status).toBe(200);
  }, 300_000);
});
