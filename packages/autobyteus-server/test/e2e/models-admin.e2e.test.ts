import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, llamaServerBinary, smolLmGguf } from '../../../autobyteus/test/support/real-engines.js';
import { isProcessAlive as alive } from '../../src/io/process-liveness.js';
import { cleanEnv, runCli, type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';

// One server for the whole file (each llama-server start loads a model): listening on 0.0.0.0 with
// ALLOW_REMOTE, so it generates its token into <home>/api-token, which the CLI must find by itself.
// Two GGUFs in the home: the default (a symlink to the test model) and a hard copy under another name.
const DEFAULT_ID = 'SmolLM2-135M-Instruct.Q4_1';
const SECOND_ID = 'Second-Model.Q4_1';
let server: ServerProcess;
let home: string;
let base: string;
let token: string;
let ggufDir: string;
let cliEnv: NodeJS.ProcessEnv;

interface PsEntry {
  id: string;
  state: string;
  pid?: number;
  port?: number;
  keepAliveMs: number;
  expiresAt: string | null;
}

function api(path: string, init: RequestInit = {}, withToken = true): Promise<Response> {
  const headers = new Headers(init.headers);
  if (withToken) headers.set('authorization', `Bearer ${token}`);
  return fetch(`${base}${path}`, { ...init, headers });
}

async function ps(): Promise<PsEntry[]> {
  const result = await runCli(['models', 'ps', '--json'], cliEnv);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return (JSON.parse(result.stdout) as { models: PsEntry[] }).models;
}

async function gatewayIds(): Promise<string[]> {
  const answer = (await (await api('/v1/models')).json()) as { data: Array<{ id: string }> };
  return answer.data.map((m) => m.id);
}

beforeAll(async () => {
  home = tempHome('[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n');
  ggufDir = join(home, 'models', 'gguf');
  mkdirSync(ggufDir, { recursive: true });
  symlinkSync(realpathSync(smolLmGguf()), join(ggufDir, `${DEFAULT_ID}.gguf`));
  copyFileSync(smolLmGguf(), join(ggufDir, `${SECOND_ID}.gguf`));
  // A registry entry for the copy: `models rm` must take it out of registry.json too.
  const size = readFileSync(join(ggufDir, `${SECOND_ID}.gguf`)).length;
  writeFileSync(
    join(home, 'models', 'registry.json'),
    JSON.stringify({
      version: 1,
      models: [
        {
          name: SECOND_ID,
          runtime: 'llama_cpp',
          fileName: `${SECOND_ID}.gguf`,
          path: join(ggufDir, `${SECOND_ID}.gguf`),
          size,
          sha256: '0'.repeat(64),
          ref: 'test-copy',
          source: 'test',
          pulledAt: new Date().toISOString(),
          gguf: { hasChatTemplate: true },
        },
      ],
    }),
  );
  // What `..%2F..%2Fetc%2Fpasswd` would reach from models/gguf if a name were ever used as a path.
  mkdirSync(join(home, 'etc'));
  writeFileSync(join(home, 'etc', 'passwd'), 'sentinel\n');
  server = await startServerProcess(
    home,
    ['--host', '0.0.0.0'],
    {
      ALLOW_REMOTE: 'true',
      AUTOBYTEUS_PORT: '0',
      LLAMACPP_MANAGED: 'true',
      LLAMACPP_BINARY_PATH: llamaServerBinary(),
      LLAMACPP_DEFAULT_MODEL: join(ggufDir, `${DEFAULT_ID}.gguf`),
      LLAMACPP_MANAGED_PORT: String(await freePort()),
    },
    'serve',
    120_000,
  );
  const port = new URL(server.url).port;
  base = `http://127.0.0.1:${port}`;
  token = readFileSync(join(home, 'api-token'), 'utf8').trim();
  cliEnv = cleanEnv(home, { AUTOBYTEUS_HOST: '0.0.0.0', AUTOBYTEUS_PORT: port, ALLOW_REMOTE: 'true' });
}, 180_000);

afterAll(async () => {
  await server?.stop();
});

describe('local models through the admin API and the CLI (real server, real llama-server)', () => {
  it('answers 401 on every new route without the token, and does nothing', async () => {
    const calls: Array<[string, string]> = [
      ['GET', '/api/ps'],
      ['GET', '/api/models'],
      ['POST', `/api/models/${SECOND_ID}/load`],
      ['POST', `/api/models/${DEFAULT_ID}/unload`],
      ['DELETE', `/api/models/${SECOND_ID}?force=true`],
    ];
    for (const [method, path] of calls) {
      const response = await api(path, { method }, false);
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 401 });
      expect((await response.json()).error.code).toBe('invalid_api_key');
    }
    expect(existsSync(join(ggufDir, `${SECOND_ID}.gguf`))).toBe(true);
    expect((await ps()).map((m) => m.id)).toEqual([DEFAULT_ID]);
  });

  it('models ps shows the preloaded default model with its engine process', async () => {
    const [loaded] = await ps();
    expect(loaded).toMatchObject({
      id: DEFAULT_ID,
      state: 'loaded',
      pid: expect.any(Number),
      port: expect.any(Number),
    });
    expect(alive(loaded?.pid as number)).toBe(true);
    const table = await runCli(['models', 'ps'], cliEnv);
    expect(table.code).toBe(0);
    const [header, row] = table.stdout.trim().split('\n');
    expect(header?.split(/\s+/)).toEqual([
      'MODEL',
      'ENGINE',
      'STATE',
      'PID',
      'PORT',
      'MEMORY',
      'CONTEXT',
      'SLOTS',
      'IDLE',
      'EXPIRES',
      'PINNED',
    ]);
    expect(row).toMatch(
      new RegExp(
        `^${DEFAULT_ID.replace('.', '\\.')}\\s+llama-cpp\\s+loaded\\s+${loaded?.pid}\\s+${loaded?.port}\\s+\\d`,
      ),
    );
    expect(row).toMatch(/\d+(\.\d)? (kB|MB|GB)/);
    expect(row).toMatch(/ in \d+[sm]\b/);
  });

  it('POST /api/models/:name/load starts a second engine; both show in ps and GET /api/models', async () => {
    const response = await api(`/api/models/${SECOND_ID}/load`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ keep_alive: '10m' }),
    });
    expect(response.status).toBe(200);
    const { model } = (await response.json()) as { model: PsEntry };
    expect(model).toMatchObject({ id: SECOND_ID, state: 'loaded', keepAliveMs: 600_000, pid: expect.any(Number) });
    const listed = await ps();
    expect(listed.map((m) => m.id).sort()).toEqual([DEFAULT_ID, SECOND_ID].sort());
    const pids = listed.map((m) => m.pid);
    const ports = listed.map((m) => m.port);
    expect(new Set(pids).size).toBe(2);
    expect(new Set(ports).size).toBe(2);
    for (const pid of pids) expect(alive(pid as number)).toBe(true);

    const models = (await (await api('/api/models')).json()) as {
      local: Array<{ id: string; file?: string; state: string; path?: string }>;
    };
    expect(models.local.map((m) => [m.id, m.file, m.state]).sort()).toEqual(
      [
        [DEFAULT_ID, `${DEFAULT_ID}.gguf`, 'loaded'],
        [SECOND_ID, `${SECOND_ID}.gguf`, 'loaded'],
      ].sort(),
    );
    // No local path in the listing.
    expect(JSON.stringify(models.local)).not.toContain(home);
  });

  it('models unload stops the engine: gone from ps and its process is dead', async () => {
    const second = (await ps()).find((m) => m.id === SECOND_ID);
    expect(second?.pid).toEqual(expect.any(Number));
    const result = await runCli(['models', 'unload', SECOND_ID], cliEnv);
    expect(result.stdout.trim()).toBe(`unloaded ${SECOND_ID}`);
    expect(result.code).toBe(0);
    expect((await ps()).map((m) => m.id)).toEqual([DEFAULT_ID]);
    expect(alive(second?.pid as number)).toBe(false);
    const again = await api(`/api/models/${SECOND_ID}/unload`, { method: 'POST' });
    expect(await again.json()).toEqual({ unloaded: false, id: SECOND_ID });
  });

  it('models rm refuses a loaded model; --force unloads it and deletes the file and its registry entry', async () => {
    const load = await runCli(['models', 'load', SECOND_ID, '--keep-alive', '10m'], cliEnv);
    expect(load.stderr).toBe('');
    expect(load.stdout).toContain(`${SECOND_ID} loaded`);
    expect(load.stdout).toContain('unloads after 10m idle');
    const pid = (await ps()).find((m) => m.id === SECOND_ID)?.pid as number;
    expect(alive(pid)).toBe(true);

    const refused = await runCli(['models', 'rm', SECOND_ID], cliEnv);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`"${SECOND_ID}" is loaded`);
    expect(existsSync(join(ggufDir, `${SECOND_ID}.gguf`))).toBe(true);
    const refusedApi = await api(`/api/models/${SECOND_ID}`, { method: 'DELETE' });
    expect(refusedApi.status).toBe(409);
    expect((await refusedApi.json()).error.code).toBe('model_loaded');

    const forced = await runCli(['models', 'rm', SECOND_ID, '--force'], cliEnv);
    expect(forced.stdout.trim()).toBe(`removed ${SECOND_ID} (GGUF file, unloaded first)`);
    expect(forced.code).toBe(0);
    expect(existsSync(join(ggufDir, `${SECOND_ID}.gguf`))).toBe(false);
    expect(alive(pid)).toBe(false);
    const registry = JSON.parse(readFileSync(join(home, 'models', 'registry.json'), 'utf8'));
    expect(registry.models).toEqual([]);
    const ids = await gatewayIds();
    expect(ids).toContain(DEFAULT_ID);
    expect(ids).not.toContain(SECOND_ID);
  });

  it('a hostile name is never a path: 404 on every route and nothing deleted', async () => {
    const before = readdirSync(ggufDir).sort();
    for (const name of ['..%2F..%2Fetc%2Fpasswd', '..%2F..%2Fetc%2Fpasswd.gguf', '%2E%2E%2F%2E%2E%2Fetc%2Fpasswd']) {
      for (const [method, path] of [
        ['DELETE', `/api/models/${name}?force=true`],
        ['POST', `/api/models/${name}/load`],
        ['POST', `/api/models/${name}/unload`],
      ] as const) {
        const response = await api(path, { method });
        expect({ path, status: response.status }).toEqual({ path, status: 404 });
        const body = await response.json();
        expect(body.error.code).toBe('model_not_found');
        expect(body.error.message).not.toContain(home);
      }
    }
    expect(readFileSync(join(home, 'etc', 'passwd'), 'utf8')).toBe('sentinel\n');
    expect(readdirSync(ggufDir).sort()).toEqual(before);
    expect((await ps()).map((m) => m.id)).toEqual([DEFAULT_ID]);
  });

  it('documents the new routes in the OpenAPI document', async () => {
    const paths = Object.keys(((await (await api('/api/openapi.json')).json()) as { paths: object }).paths);
    expect(paths).toEqual(
      expect.arrayContaining(['/api/ps', '/api/models/{name}/load', '/api/models/{name}/unload', '/api/models/{name}']),
    );
  });

  it('with no server running: models ps says how to start one, models rm deletes the file itself', async () => {
    await server.stop();
    const noServer = await runCli(['models', 'ps'], cliEnv);
    expect(noServer.code).toBe(1);
    expect(noServer.stderr).toContain(
      `no autobyteus-server is running at ${base}: start it with \`autobyteus-server up\` (or serve)`,
    );
    const removed = await runCli(['models', 'rm', DEFAULT_ID], cliEnv);
    expect(removed.stderr).toBe('');
    expect(removed.stdout.trim()).toBe(`removed ${DEFAULT_ID} (GGUF file)`);
    expect(existsSync(join(ggufDir, `${DEFAULT_ID}.gguf`))).toBe(false);
    // The symlink went, never the file it pointed at.
    expect(existsSync(realpathSync(smolLmGguf()))).toBe(true);
    const unknown = await runCli(['models', 'rm', DEFAULT_ID], cliEnv);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`"${DEFAULT_ID}" is not a local model`);
  });
});
