import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../autobyteus/test/support/real-engines.js';
import { writeFakeLlamaServer } from '../engines/support/fake-llama.js';
import { contentOf, FakeHub } from '../models/support/fake-hub.js';
import { tinyGguf } from '../models/support/tiny-gguf.js';
import { type ServerProcess, startServerProcess, tempHome } from '../support/server-process.js';

// The pull API of a real server process, pulling from the local fake hub (HF_ENDPOINT) into its home;
// llama.cpp is managed (a stand-in binary: nothing is loaded here), so pulled GGUFs are listed as local
// models at once.
const TOKEN = `pull-token-${process.pid}-77ab`;
const SLOW = { chunkBytes: 64 * 1024, delayMs: 100 };

let hub: FakeHub;
let server: ServerProcess;

interface Job {
  id: string;
  kind: string;
  subject: string;
  state: string;
  joined: number;
  progress: { phase?: string; bytesDone?: number; bytesTotal?: number; bytesPerSec?: number };
  error?: { message: string; code: string; status: number };
  result?: { name: string; file?: string; sizeBytes?: number; sha256?: string };
}

function api(path: string, init: RequestInit = {}, withToken = true): Promise<Response> {
  const headers = new Headers(init.headers);
  if (withToken) headers.set('authorization', `Bearer ${TOKEN}`);
  if (init.body) headers.set('content-type', 'application/json');
  return fetch(`${server.url}${path}`, { ...init, headers });
}

async function startPull(model: string): Promise<{ status: number; body: { id: string; joined: boolean; job: Job } }> {
  const response = await api('/api/models/pull', { method: 'POST', body: JSON.stringify({ model }) });
  return { status: response.status, body: (await response.json()) as { id: string; joined: boolean; job: Job } };
}

async function job(id: string): Promise<Job> {
  return ((await (await api(`/api/pulls/${id}`)).json()) as { job: Job }).job;
}

/** Polls the job until `done(job)`, recording every view. */
async function until(id: string, done: (job: Job) => boolean): Promise<Job[]> {
  const seen: Job[] = [];
  for (;;) {
    const current = await job(id);
    seen.push(current);
    if (done(current)) return seen;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const ended = (j: Job) => ['done', 'failed', 'cancelled'].includes(j.state);

/** A trickled repo file, so that a pull takes seconds and its progress can be watched. */
function addSlowRepo(repo: string, file: string, size: number): string {
  const { commit } = hub.addRepo(repo, { [file]: contentOf(tinyGguf({ size })) });
  for (const rev of ['main', commit]) hub.setFault(`/${repo}/resolve/${rev}/${file}`, { trickle: SLOW });
  return `hf:${repo}/${file}`;
}

async function localIds(): Promise<string[]> {
  const models = (await (await api('/api/models')).json()) as { local: Array<{ id: string }> };
  return models.local.map((m) => m.id);
}

beforeAll(async () => {
  hub = await FakeHub.start();
  const home = tempHome('[llama_cpp]\nhosts = ""\n[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n');
  const binary = writeFakeLlamaServer(mkdtempSync(join(tmpdir(), 'autobyteus-fake-llama-')));
  server = await startServerProcess(home, [], {
    AUTOBYTEUS_PORT: '0',
    AUTOBYTEUS_API_TOKEN: TOKEN,
    HF_ENDPOINT: hub.baseUrl,
    HF_HUB_CACHE: join(home, 'hf-hub'),
    LLAMACPP_MANAGED: 'true',
    LLAMACPP_BINARY_PATH: binary,
    LLAMACPP_MANAGED_PORT: String(await freePort()),
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await hub?.close();
});

describe('pull API', () => {
  it('needs the token on every pull and job route', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    for (const [method, path] of [
      ['POST', '/api/models/pull'],
      ['GET', '/api/pulls'],
      ['GET', `/api/pulls/${id}`],
      ['DELETE', `/api/pulls/${id}`],
      ['GET', '/api/jobs'],
      ['GET', `/api/jobs/${id}/events`],
      ['GET', '/api/models/catalog'],
      ['POST', '/api/engines/llama-cpp/upgrade'],
      ['POST', '/api/engines/llama-cpp/rollback'],
    ] as const) {
      const response = await api(
        path,
        { method, ...(method === 'POST' ? { body: JSON.stringify({ model: 'x' }) } : {}) },
        false,
      );
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 401 });
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
    }
  });

  it('pulls an hf: GGUF with progress to done, and the model is a local model at once', async () => {
    const ref = addSlowRepo('test-org/Tiny-Pull-GGUF', 'Tiny-Pull.Q4_0.gguf', 3 * 1024 * 1024);
    expect(await localIds()).not.toContain('Tiny-Pull.Q4_0');
    const started = await startPull(ref);
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ joined: false, job: { kind: 'pull', subject: ref } });
    expect(['queued', 'running']).toContain(started.body.job.state);

    // The event stream follows the same job to its end.
    const events = await api(`/api/jobs/${started.body.id}/events`);
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const seenEvents = (await events.text())
      .split('\n\n')
      .filter((block) => block.startsWith('event: job'))
      .map((block) => JSON.parse(block.slice(block.indexOf('data: ') + 6)) as Job);
    const final = seenEvents.at(-1);
    expect(final?.state).toBe('done');
    const downloading = seenEvents.filter((j) => j.progress.phase === 'downloading');
    const done = downloading.map((j) => j.progress.bytesDone ?? 0);
    // Seen moving: several distinct byte counts below the total, never going back.
    expect(new Set(done).size).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < done.length; i++) expect(done[i]).toBeGreaterThanOrEqual(done[i - 1] ?? 0);
    expect(downloading[0]?.progress.bytesTotal).toBe(3 * 1024 * 1024);
    expect(downloading.some((j) => (j.progress.bytesPerSec ?? 0) > 0)).toBe(true);
    expect(final?.result).toMatchObject({
      name: 'Tiny-Pull.Q4_0',
      file: 'Tiny-Pull.Q4_0.gguf',
      sizeBytes: 3 * 1024 * 1024,
    });
    expect(JSON.stringify(final)).not.toContain(server.home);

    expect(await localIds()).toContain('Tiny-Pull.Q4_0');
    expect(existsSync(join(server.home, 'models', 'gguf', 'Tiny-Pull.Q4_0.gguf'))).toBe(true);
    const listed = ((await (await api('/api/pulls')).json()) as { pulls: Job[] }).pulls;
    expect(listed.find((j) => j.id === started.body.id)?.state).toBe('done');
  }, 60_000);

  it('a second pull of the same model joins the running job; cancel ends it and nothing is registered', async () => {
    const ref = addSlowRepo('test-org/Join-GGUF', 'Join-Me.gguf', 32 * 1024 * 1024);
    const first = await startPull(ref);
    const second = await startPull(` ${ref} `);
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.joined).toBe(true);
    expect(second.body.job.joined).toBe(1);
    await until(first.body.id, (j) => (j.progress.bytesDone ?? 0) > 0);

    const cancel = await api(`/api/pulls/${first.body.id}`, { method: 'DELETE' });
    expect(cancel.status).toBe(200);
    const seen = await until(first.body.id, ended);
    expect(seen.at(-1)).toMatchObject({ state: 'cancelled', error: { code: 'cancelled' } });
    expect(await localIds()).not.toContain('Join-Me');
    const again = await api(`/api/pulls/${first.body.id}`, { method: 'DELETE' });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { message: string } }).error.message).toContain('already ended');
  }, 60_000);

  it('runs at most two pulls at once; the third waits queued', async () => {
    const refs = [1, 2, 3].map((n) => addSlowRepo(`test-org/Queue-${n}`, `Queue-${n}.gguf`, 32 * 1024 * 1024));
    const ids: string[] = [];
    for (const ref of refs) ids.push((await startPull(ref)).body.id);
    await until(ids[0]!, (j) => j.state === 'running');
    await until(ids[1]!, (j) => j.state === 'running');
    expect((await job(ids[2]!)).state).toBe('queued');
    // The queued one first: cancelling a running one frees a slot the queued one would take.
    for (const id of [...ids].reverse()) {
      expect((await api(`/api/pulls/${id}`, { method: 'DELETE' })).status).toBe(200);
    }
    expect((await job(ids[2]!)).state).toBe('cancelled');
    expect((await job(ids[2]!)).progress).toEqual({});
    for (const id of ids.slice(0, 2)) expect((await until(id, ended)).at(-1)?.state).toBe('cancelled');
  }, 60_000);

  it('refuses an unknown catalog name with 404 naming it and the catalog; bad references with 400', async () => {
    const unknown = await startPull('no-such-model-xyz');
    expect(unknown.status).toBe(404);
    const error = (unknown.body as unknown as { error: { message: string; code: string } }).error;
    expect(error.code).toBe('model_not_found');
    expect(error.message).toContain('"no-such-model-xyz" is not in the model catalog');
    expect(error.message).toContain('GET /api/models/catalog');
    const catalog = (await (await api('/api/models/catalog')).json()) as { models: Array<{ name: string }> };
    expect(catalog.models.map((m) => m.name)).toContain('smollm2-135m-instruct-q4_1');

    for (const [model, code] of [
      ['hf:test-org/repo/../../etc/passwd.gguf', 'invalid_model_ref'],
      ['hf:../x', 'invalid_model_ref'],
      ['file:/etc/passwd', 'invalid_model_ref'],
      [`${hub.baseUrl}/blobs/x.gguf`, 'url_pull_refused'],
    ]) {
      const answer = await startPull(model as string);
      expect({ model, status: answer.status }).toEqual({ model, status: 400 });
      expect((answer.body as unknown as { error: { code: string } }).error.code).toBe(code);
    }
    const noBody = await api('/api/models/pull', { method: 'POST', body: JSON.stringify({ ref: 'x' }) });
    expect(noBody.status).toBe(400);
    expect((await api('/api/pulls/not-a-uuid')).status).toBe(404);
  });

  it('the OpenAPI document describes the pull, job and engine routes', async () => {
    const doc = (await (await api('/api/openapi.json')).json()) as {
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    for (const path of [
      '/api/models/pull',
      '/api/pulls',
      '/api/pulls/{id}',
      '/api/jobs/{id}/events',
      '/api/engines/{engine}/upgrade',
      '/api/engines/{engine}/rollback',
    ]) {
      expect(doc.paths[path], path).toBeDefined();
    }
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Job', 'InstalledVersions']));
  });

  it('a model the hub does not have fails the job with 404 and the hub message', async () => {
    const started = await startPull('hf:test-org/missing-repo/missing.gguf');
    expect(started.status).toBe(202);
    const final = (await until(started.body.id, ended)).at(-1);
    expect(final).toMatchObject({ state: 'failed', error: { status: 404, code: 'model_not_found' } });
    expect(final?.error?.message).toMatch(/test-org\/missing-repo/);
  }, 30_000);
});

describe('pull API on a full disk', () => {
  // A real small file system (a 2 MiB tmpfs; mounting needs root: without it this fails, never skips).
  let mountPoint: string;
  let small: ServerProcess;

  beforeAll(async () => {
    mountPoint = mkdtempSync(join(tmpdir(), 'autobyteus-full-api-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint], { stdio: 'pipe' });
    const home = join(mountPoint, 'home');
    mkdirSync(home);
    writeFileSync(join(home, 'config.toml'), '[llama_cpp]\nhosts = ""\n[lmstudio]\nhosts = ""\n[ollama]\nhosts = ""\n');
    hub.addRepo('test-org/Big-GGUF', { 'Big.gguf': contentOf(tinyGguf({ size: 3 * 1024 * 1024 })) });
    small = await startServerProcess(home, [], {
      AUTOBYTEUS_PORT: '0',
      AUTOBYTEUS_API_TOKEN: TOKEN,
      HF_ENDPOINT: hub.baseUrl,
      HF_HUB_CACHE: join(home, 'hf-hub'),
    });
  }, 60_000);

  afterAll(async () => {
    await small?.stop();
    if (mountPoint) {
      execFileSync('umount', [mountPoint], { stdio: 'pipe' });
      rmSync(mountPoint, { recursive: true, force: true });
    }
  });

  it('fails the job with 507 and the message naming the bytes needed and free', async () => {
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const started = await fetch(`${small.url}/api/models/pull`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ model: 'hf:test-org/Big-GGUF/Big.gguf' }),
    });
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as { id: string };
    let final: Job;
    for (;;) {
      final = ((await (await fetch(`${small.url}/api/jobs/${id}`, { headers })).json()) as { job: Job }).job;
      if (ended(final)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(final).toMatchObject({ state: 'failed', error: { status: 507, code: 'insufficient_storage' } });
    expect(final.error?.message).toMatch(/no space left on .*need \d+ bytes, have \d+/);
  }, 30_000);
});
