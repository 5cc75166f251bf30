import {
  createReadStream,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  freePort,
  llamaServerBinary,
  requantizedGguf,
  smolLmGguf,
  tinyRandomGguf,
} from '../../../autobyteus/test/support/real-engines.js';
import { isProcessAlive as alive } from '../../src/io/process-liveness.js';
import { cleanEnv, runCli, type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';

// Several real GGUF models served on demand by the real llama-server, one process per model:
// SmolLM2 Q4_1, its Q4_0 requantization (llama-quantize) and a tiny random-weight llama.
const A = 'SmolLM2-135M-Instruct.Q4_1';
const B = 'SmolLM2-135M-Instruct.Q4_0';
const C = 'tiny-random-llama';
const NO_DISCOVERY = '[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n';

interface PsEntry {
  id: string;
  state: string;
  pid?: number;
  port?: number;
  pinned: boolean;
  expiresAt: string | null;
}

let server: ServerProcess | undefined;
let fileServer: Server | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
  fileServer?.close();
  fileServer = undefined;
});

/** A home whose models/gguf holds `files` (name → source, symlinked) and whose config.toml has `toml`. */
function homeWith(files: Record<string, string>, toml = ''): string {
  const home = tempHome(`${NO_DISCOVERY}${toml}`);
  const folder = join(home, 'models', 'gguf');
  mkdirSync(folder, { recursive: true });
  for (const [name, source] of Object.entries(files)) symlinkSync(source, join(folder, name));
  return home;
}

const threeModels = () => ({
  [`${A}.gguf`]: smolLmGguf(),
  [`${B}.gguf`]: requantizedGguf(),
  [`${C}.gguf`]: tinyRandomGguf(),
});

async function serve(home: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  return startServerProcess(
    home,
    [],
    {
      AUTOBYTEUS_PORT: '0',
      LLAMACPP_MANAGED: 'true',
      LLAMACPP_BINARY_PATH: llamaServerBinary(),
      LLAMACPP_MANAGED_PORT: String(await freePort()),
      AUTOBYTEUS_KEEP_ALIVE: '-1',
      ...env,
    },
    'serve',
    120_000,
  );
}

function chat(url: string, model: string, extra: Record<string, unknown> = {}): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hi.' }], max_tokens: 4, ...extra }),
  });
}

async function chatOk(url: string, model: string, extra: Record<string, unknown> = {}): Promise<void> {
  const response = await chat(url, model, extra);
  const text = await response.text();
  expect(response.status, text).toBe(200);
}

async function ps(url: string): Promise<PsEntry[]> {
  return ((await (await fetch(`${url}/api/ps`)).json()) as { models: PsEntry[] }).models;
}

async function listed(url: string): Promise<Array<{ id: string; status?: { value: string; reason?: string } }>> {
  return (await (await fetch(`${url}/v1/models`)).json()).data;
}

/** Polls `check` until it holds (the deadline only bounds a broken run; nothing is timed). */
async function eventually(
  check: () => Promise<boolean> | boolean,
  what: string,
  options: { deadlineMs?: number; everyMs?: number } = {},
): Promise<void> {
  const deadlineMs = options.deadlineMs ?? 60_000;
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, options.everyMs ?? 100));
  }
  throw new Error(`gave up waiting for: ${what}`);
}

describe('every local model is servable on demand (real llama-server, three GGUFs)', () => {
  it('lists every model with its state and answers by id, file stem, catalog name and alias', async () => {
    const home = homeWith(
      { ...threeModels(), 'Dup-Model.gguf': tinyRandomGguf(), 'dup-model.gguf': tinyRandomGguf() },
      `[models."${C}"]\nalias = ["tiny"]\n`,
    );
    server = await serve(home, { LLAMACPP_DEFAULT_MODEL: `${A}.gguf` });
    const before = await listed(server.url);
    const state = (id: string) => before.find((m) => m.id === id)?.status?.value;
    expect([state(A), state(B), state(C)]).toEqual(['loaded', 'available', 'available']);

    await chatOk(server.url, B);
    await chatOk(server.url, 'smollm2-135m-instruct-q4_1');
    await chatOk(server.url, 'tiny');
    expect((await ps(server.url)).map((m) => m.id).sort()).toEqual([A, B, C].sort());

    const ambiguous = await chat(server.url, 'DUP-MODEL');
    const body = await ambiguous.json();
    expect(ambiguous.status).toBe(400);
    expect(body.error.code).toBe('ambiguous_model');
    expect(body.error.message).toContain('Dup-Model');
    expect(body.error.message).toContain('dup-model');
  }, 180_000);

  it('serves a model pulled while it runs, without a restart', async () => {
    const home = homeWith({ [`${A}.gguf`]: smolLmGguf() });
    server = await serve(home);
    fileServer = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      createReadStream(tinyRandomGguf()).pipe(res);
    });
    await new Promise<void>((resolve) => fileServer?.listen(0, '127.0.0.1', resolve));
    const filePort = (fileServer.address() as AddressInfo).port;
    expect((await chat(server.url, 'Pulled-Later')).status).toBe(404);
    const pull = await runCli(
      ['models', 'pull', `http://127.0.0.1:${filePort}/Pulled-Later.gguf`],
      cleanEnv(home),
      home,
    );
    expect(pull.code, pull.stderr).toBe(0);
    // The CLI's chat asks the running server to load it, then streams from its engine.
    const port = new URL(server.url).port;
    const cliChat = await runCli(
      ['chat', 'Pulled-Later', 'Say hi.', '--max-tokens', '4'],
      cleanEnv(home, { AUTOBYTEUS_PORT: port }),
      home,
    );
    expect(cliChat.code, cliChat.stderr).toBe(0);
    expect(cliChat.stderr).toMatch(/tokens|length|stop/);
    await chatOk(server.url, 'Pulled-Later');
  }, 180_000);

  it('unloads the least recently used model when LLAMACPP_MODELS_MAX=2 is reached', async () => {
    server = await serve(homeWith(threeModels()), { LLAMACPP_MODELS_MAX: '2', LLAMACPP_DEFAULT_MODEL: `${A}.gguf` });
    await chatOk(server.url, B);
    const first = await ps(server.url);
    expect(first.map((m) => m.id).sort()).toEqual([A, B].sort());
    const pidOfA = first.find((m) => m.id === A)?.pid as number;
    await chatOk(server.url, B);
    await chatOk(server.url, C);
    expect((await ps(server.url)).map((m) => m.id).sort()).toEqual([B, C].sort());
    expect(alive(pidOfA)).toBe(false);
  }, 180_000);

  it('never evicts a pinned model', async () => {
    server = await serve(homeWith(threeModels(), `[models."${A}"]\npinned = true\n`), {
      LLAMACPP_MODELS_MAX: '2',
      LLAMACPP_DEFAULT_MODEL: `${A}.gguf`,
    });
    await chatOk(server.url, B);
    await chatOk(server.url, C);
    const after = await ps(server.url);
    expect(after.map((m) => m.id).sort()).toEqual([A, C].sort());
    expect(after.find((m) => m.id === A)?.pinned).toBe(true);
  }, 180_000);

  it('unloads a model when its keep_alive runs out, and its process is gone', async () => {
    server = await serve(homeWith(threeModels()));
    await chatOk(server.url, B);
    await chatOk(server.url, C);
    const tiny = (await ps(server.url)).find((m) => m.id === C) as PsEntry;
    expect(tiny.expiresAt).toBeNull();
    expect(alive(tiny.pid as number)).toBe(true);
    // From this request on, C stays loaded for 2 s of idleness; B keeps the server-wide -1 (never).
    await chatOk(server.url, C, { keep_alive: '2s' });
    await eventually(async () => !(await ps(server?.url as string)).some((m) => m.id === C), 'the 2 s keep-alive');
    // Unloading takes the model out of ps first, then stops its engine (SIGTERM, then SIGKILL after 5 s).
    await eventually(() => !alive(tiny.pid as number), 'the unloaded engine to exit');
    expect((await ps(server.url)).map((m) => m.id)).toEqual([B]);
    expect((await listed(server.url)).find((m) => m.id === C)?.status?.value).toBe('available');
  }, 180_000);

  it('shares one load among ten concurrent first requests', async () => {
    server = await serve(homeWith(threeModels()), { LOG_LEVEL: 'info' });
    const answers = await Promise.all(Array.from({ length: 10 }, () => chat(server?.url as string, B)));
    expect(answers.map((a) => a.status)).toEqual(Array(10).fill(200));
    const loads = server
      .output()
      .split('\n')
      .filter((line) => line.includes('"msg":"loading model"') && line.includes(`"model":"${B}"`));
    expect(loads).toHaveLength(1);
    expect((await ps(server.url)).filter((m) => m.id === B)).toHaveLength(1);
  }, 180_000);

  it('streams keep-alive comments while a model loads, then the answer', async () => {
    server = await serve(homeWith(threeModels()));
    const response = await chat(server.url, C, { stream: true });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text.startsWith(`: loading ${C}`)).toBe(true);
    expect(text.trimEnd().endsWith('data: [DONE]')).toBe(true);
  }, 180_000);

  it('reports a corrupt model file clearly and leaves the other models serving', async () => {
    const home = homeWith(threeModels());
    // The header and the tensor table are intact; the weights are cut off.
    const broken = Buffer.alloc(2 << 20);
    readSync(openSync(smolLmGguf(), 'r'), broken, 0, broken.length, 0);
    writeFileSync(join(home, 'models', 'gguf', 'Broken-Model.gguf'), broken);
    server = await serve(home, { LLAMACPP_DEFAULT_MODEL: `${A}.gguf` });
    const failed = await chat(server.url, 'Broken-Model');
    const body = await failed.json();
    expect(failed.status).toBe(500);
    expect(body.error.code).toBe('model_load_failed');
    expect(body.error.message).toContain('llama-server could not load the model "Broken-Model"');
    const entry = (await listed(server.url)).find((m) => m.id === 'Broken-Model');
    expect(entry?.status?.value).toBe('failed');
    expect(entry?.status?.reason).toBeTruthy();
    await chatOk(server.url, A);
    await chatOk(server.url, C);
  }, 180_000);

  it('refuses a model that does not fit the memory budget, with the numbers', async () => {
    server = await serve(homeWith(threeModels()), { AUTOBYTEUS_MEMORY_BUDGET: '200MiB' });
    const refused = await chat(server.url, A);
    const body = await refused.json();
    expect(refused.status).toBe(500);
    expect(body.error.code).toBe('insufficient_memory');
    expect(body.error.message).toMatch(/needs \d+\.\d MiB but the memory budget is 200\.0 MiB/);
    expect(await ps(server.url)).toEqual([]);
    // The tiny model fits the same budget.
    await chatOk(server.url, C);
  }, 180_000);

  it('fails a load whose engine is killed, then loads the model again on the next request', async () => {
    const home = homeWith(threeModels());
    server = await serve(home);
    const run = join(home, 'run');
    const pidFiles = () => {
      try {
        return readdirSync(run).filter((name) => name.endsWith('.pid'));
      } catch {
        return [];
      }
    };
    const before = new Set(pidFiles());
    const pending = chat(server.url, B);
    let killed = 0;
    await eventually(
      () => {
        const fresh = pidFiles().filter((name) => !before.has(name));
        for (const name of fresh) {
          let pid = 0;
          try {
            pid = (JSON.parse(readFileSync(join(run, name), 'utf8')) as { pid: number }).pid;
          } catch {
            // Written aside and renamed: not there yet.
          }
          if (pid > 0) {
            process.kill(pid, 'SIGKILL');
            killed = pid;
          }
        }
        return killed > 0;
      },
      'the engine of the loading model to start',
      { everyMs: 5 },
    );
    const failed = await pending;
    const body = await failed.json();
    expect(failed.status).toBe(500);
    expect(body.error.code).toBe('model_load_failed');
    expect(body.error.message).toContain(B);
    expect(body.error.message).toMatch(/SIGKILL|signal/i);
    await chatOk(server.url, B);
  }, 180_000);
});
