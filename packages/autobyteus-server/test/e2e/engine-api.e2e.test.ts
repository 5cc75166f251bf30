import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../autobyteus/test/support/real-engines.js';
import { writeFakeLlamaServer } from '../engines/support/fake-llama.js';
import { startGithubReleases } from '../engines/support/github-releases-server.js';
import { linuxCpuAsset as ASSET, fakeLlamaRelease } from '../support/fake-llama-release.js';
import { type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';

// Engine upgrade / rollback through the admin API of a real server process, against the local
// GitHub-shaped release site the install tests use (a stand-in llama-server in each release archive,
// which answers --version: the smoke test without a default model).
const TOKEN = `engine-token-${process.pid}-9c2e`;
const CONFIG = '[llama_cpp]\nhosts = ""\n[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n';

interface Job {
  id: string;
  state: string;
  progress: { phase?: string; message?: string };
  error?: { message: string; code: string; status: number };
  result?: { engine: string; version: string; replaced: string | null; inUse: boolean };
}
interface Installed {
  engine: string;
  active: string | null;
  previous: string | null;
  versions: Array<{ version: string; active: boolean; previous: boolean; source: string }>;
  program: string;
}

function client(server: () => ServerProcess) {
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${server().url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
      },
    });
  const post = async (path: string, body: unknown = {}) => {
    const response = await api(path, { method: 'POST', body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const untilEnded = async (id: string): Promise<Job> => {
    for (;;) {
      const { job } = (await (await api(`/api/jobs/${id}`)).json()) as { job: Job };
      if (['done', 'failed', 'cancelled'].includes(job.state)) return job;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const upgrade = async (body: unknown = {}): Promise<Job> => {
    const started = await post('/api/engines/llama-cpp/upgrade', body);
    expect(started.status).toBe(202);
    return untilEnded(started.body.id as string);
  };
  const installed = async (): Promise<Installed> => {
    const { engines } = (await (await api('/api/engines')).json()) as {
      engines: Array<{ runtime: string; installed?: Installed }>;
    };
    return engines.find((e) => e.runtime === 'llama_cpp')?.installed as Installed;
  };
  return { api, post, upgrade, installed };
}

describe('engine API against the local release site', () => {
  let releases: Awaited<ReturnType<typeof startGithubReleases>>;
  let server: ServerProcess;
  const { api, post, upgrade, installed } = client(() => server);

  beforeAll(async () => {
    releases = await startGithubReleases([
      { tag: 'b100', assets: [{ name: ASSET('b100'), body: await fakeLlamaRelease('b100', 100) }] },
      { tag: 'b200', assets: [{ name: ASSET('b200'), body: await fakeLlamaRelease('b200', 200) }] },
    ]);
    server = await startServerProcess(tempHome(CONFIG), [], {
      AUTOBYTEUS_PORT: '0',
      AUTOBYTEUS_API_TOKEN: TOKEN,
      LLAMACPP_RELEASE_URL: releases.baseUrl,
      LLAMACPP_BACKEND: 'cpu',
    });
  }, 60_000);

  afterAll(async () => {
    await server?.stop();
    await releases?.close();
  });

  it('upgrade installs a release as a job, a second upgrade replaces it, rollback goes back; versions listed', async () => {
    expect(await installed()).toEqual({
      engine: 'llama-cpp',
      active: null,
      previous: null,
      versions: [],
      program: 'none',
    });

    const first = await upgrade({ tag: 'b100' });
    expect(first).toMatchObject({
      state: 'done',
      result: { engine: 'llama-cpp', version: 'b100', replaced: null, inUse: false },
    });
    const latest = await upgrade();
    expect(latest).toMatchObject({ state: 'done', result: { version: 'b200', replaced: 'b100' } });
    expect(releases.site.some((hit) => hit.path.endsWith('/releases/latest'))).toBe(true);

    const after = await installed();
    expect(after).toMatchObject({ active: 'b200', previous: 'b100', program: 'installed' });
    expect(after.versions.map((v) => [v.version, v.active, v.previous, v.source]).sort()).toEqual([
      ['b100', false, true, 'release'],
      ['b200', true, false, 'release'],
    ]);

    const rollback = await post('/api/engines/llama-cpp/rollback');
    expect(rollback.status).toBe(200);
    expect(rollback.body).toMatchObject({ engine: 'llama-cpp', from: 'b200', to: 'b100' });
    expect(await installed()).toMatchObject({ active: 'b100', previous: 'b200' });

    // The version is there already: the job fails with 409 and the installer's message.
    const again = await upgrade({ tag: 'b200' });
    expect(again).toMatchObject({ state: 'failed', error: { status: 409, code: 'version_installed' } });
    expect(again.error?.message).toContain('b200 is already installed');
    const jobs = ((await (await api('/api/jobs?kind=engine-upgrade')).json()) as { jobs: Job[] }).jobs;
    expect(jobs.map((j) => j.state)).toEqual(['failed', 'done', 'done']);
  }, 120_000);

  it('validates the engine name and the body', async () => {
    const unknown = await post('/api/engines/..%2fetc/upgrade');
    expect(unknown.status).toBe(404);
    expect(JSON.stringify(unknown.body)).toContain('unknown engine');
    expect((await post('/api/engines/nope/rollback')).status).toBe(404);
    const badTag = await post('/api/engines/llama-cpp/upgrade', { tag: '../b1' });
    expect(badTag.status).toBe(400);
    expect(JSON.stringify(badTag.body)).toContain('tag');
    expect((await post('/api/engines/llama-cpp/upgrade', { from: '/tmp/x' })).status).toBe(400);
  });
});

describe('engine API without the release site, and with a pinned program', () => {
  let offline: ServerProcess;
  let pinned: ServerProcess;
  const offlineApi = client(() => offline);
  const pinnedApi = client(() => pinned);

  beforeAll(async () => {
    const closedPort = await freePort();
    offline = await startServerProcess(tempHome(CONFIG), [], {
      AUTOBYTEUS_PORT: '0',
      AUTOBYTEUS_API_TOKEN: TOKEN,
      LLAMACPP_RELEASE_URL: `http://127.0.0.1:${closedPort}/ggml-org/llama.cpp/releases`,
      LLAMACPP_BACKEND: 'cpu',
    });
    pinned = await startServerProcess(tempHome(CONFIG), [], {
      AUTOBYTEUS_PORT: '0',
      AUTOBYTEUS_API_TOKEN: TOKEN,
      LLAMACPP_BINARY_PATH: writeFakeLlamaServer(mkdtempSync(join(tmpdir(), 'autobyteus-pinned-'))),
    });
  }, 60_000);

  afterAll(async () => {
    await offline?.stop();
    await pinned?.stop();
  });

  it('an unreachable release site fails the job saying so and what to do', async () => {
    const job = await offlineApi.upgrade();
    expect(job).toMatchObject({ state: 'failed', error: { status: 502, code: 'network_unreachable' } });
    expect(job.error?.message).toContain('could not reach the llama.cpp release site');
    expect(job.error?.message).toContain('LLAMACPP_RELEASE_URL');
    expect(job.error?.message).toContain('--from <archive>');
    const rollback = await offlineApi.post('/api/engines/llama-cpp/rollback');
    expect(rollback.status).toBe(409);
    expect(JSON.stringify(rollback.body)).toContain('no previous version');
  }, 60_000);

  it('a program set in the configuration refuses upgrade and rollback with 409', async () => {
    expect(await pinnedApi.installed()).toMatchObject({ active: null, program: 'configured' });
    for (const verb of ['upgrade', 'rollback']) {
      const answer = await pinnedApi.post(`/api/engines/llama-cpp/${verb}`);
      expect({ verb, status: answer.status }).toEqual({ verb, status: 409 });
      expect(JSON.stringify(answer.body)).toContain('engine_pinned');
    }
  });
});
