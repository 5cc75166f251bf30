import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../autobyteus/test/support/real-engines.js';
import { BackgroundJobs, type JobFailure } from '../../src/app/background-jobs.js';
import { ModelPulls } from '../../src/app/model-pulls.js';
import { loadServerConfig } from '../../src/config/server-config.js';
import { pullModel } from '../../src/models/model-puller.js';
import { contentOf, FakeHub } from '../models/support/fake-hub.js';
import { tinyGguf } from '../models/support/tiny-gguf.js';

// Pull jobs failing over real sockets (the local fake hub, a closed port): each cause is reported with
// its own code and a message that says what happened, so a hub that fails is not taken for a network
// that is down. The real puller runs, with a 1 ms first back-off so that giving up takes a moment.

let hub: FakeHub;
let hubHost: string;

/** Pull jobs of a fresh home whose HF_ENDPOINT is `endpoint`. */
function pulls(endpoint: string) {
  const home = mkdtempSync(join(tmpdir(), 'autobyteus-pull-failures-'));
  const config = loadServerConfig({
    env: { AUTOBYTEUS_HOME: home, HF_ENDPOINT: endpoint, HF_HUB_CACHE: join(home, 'hf-hub') },
    cwd: home,
  });
  const jobs = new BackgroundJobs();
  const modelPulls = new ModelPulls({
    config,
    jobs,
    pull: (ref, options) => pullModel(ref, { ...options, retryBaseDelayMs: 1 }),
  });
  return {
    home,
    /** Starts the pull of `ref` and resolves with the error its job reports. */
    fail: (ref: string) =>
      new Promise<JobFailure>((resolve, reject) => {
        const { job } = modelPulls.start(ref);
        const off = jobs.subscribe((view) => {
          if (view.id !== job.id || !['done', 'failed', 'cancelled'].includes(view.state)) return;
          off();
          if (view.state === 'failed' && view.error) resolve(view.error);
          else reject(new Error(`the pull ended ${view.state}, not failed`));
        });
      }),
  };
}

/** A GGUF repo on the fake hub whose file gets `fault` (at the commit the puller asks for, and main). */
function ggufRepo(repo: string, file: string, fault: Parameters<FakeHub['setFault']>[1]): string {
  const { commit } = hub.addRepo(repo, { [file]: contentOf(tinyGguf({ size: 200_000 })) });
  for (const rev of ['main', commit]) hub.setFault(`/${repo}/resolve/${rev}/${file}`, fault);
  return `hf:${repo}/${file}`;
}

beforeAll(async () => {
  hub = await FakeHub.start();
  hubHost = new URL(hub.baseUrl).host;
});

afterAll(async () => {
  await hub?.close();
});

describe('pull job failures', () => {
  it('a hub file that answers 503 every time: upstream_unavailable naming the host and the status', async () => {
    const ref = ggufRepo('fail-org/Busy-GGUF', 'Busy.Q4_0.gguf', { status: 503 });
    const error = await pulls(hub.baseUrl).fail(ref);
    expect(error).toMatchObject({ code: 'upstream_unavailable', status: 502 });
    expect(error.message).toContain('9 attempts in a row made no progress');
    expect(error.message).toContain(`${hubHost} answered HTTP 503: the hub is failing`);
    expect(error.message).toContain("not the server's network; retry later, or set HF_ENDPOINT to a mirror");
    expect(error.message).not.toContain('could not reach');
  });

  it('a hub API that answers 503 (not retried) is the hub failing too', async () => {
    hub.addRepo('fail-org/Down-GGUF', { 'Down.Q4_0.gguf': contentOf(tinyGguf()) });
    hub.setFault('/api/models/fail-org/Down-GGUF/revision/main', { status: 503 });
    const error = await pulls(hub.baseUrl).fail('hf:fail-org/Down-GGUF/Down.Q4_0.gguf');
    expect(error).toMatchObject({ code: 'upstream_unavailable', status: 502 });
    expect(error.message).toContain(`${hubHost} answered HTTP 503: the hub is failing`);
  });

  it('a hub that announces the file and closes before sending it, every time: download_interrupted', async () => {
    const ref = ggufRepo('fail-org/Short-GGUF', 'Short.Q4_0.gguf', { announceAndClose: 200_000 });
    const error = await pulls(hub.baseUrl).fail(ref);
    expect(error).toMatchObject({ code: 'download_interrupted', status: 502 });
    expect(error.message).toContain('last error: connection closed at byte 0 of 200000');
    expect(error.message).toContain(
      `${hubHost} was reached but closed the connection before the end of the file on every attempt`,
    );
    expect(error.message).not.toContain('could not reach');
  });

  it('a file longer than the hub lists: download_corrupt, nothing kept, retry', async () => {
    const ref = ggufRepo('fail-org/Long-GGUF', 'Long.Q4_0.gguf', { overrun: 1000 });
    const { home, fail } = pulls(hub.baseUrl);
    const error = await fail(ref);
    expect(error).toMatchObject({ code: 'download_corrupt', status: 502 });
    expect(error.message).toContain('expected 200000 bytes, got 201000');
    expect(error.message).toContain(
      `the file from ${hubHost} is not the one expected, so nothing of it was kept; retry, and if it fails the same way again, the hub serves a different file than it lists`,
    );
    expect(readdirSync(join(home, 'models', 'gguf')).filter((name) => !name.endsWith('.lock'))).toEqual([]);
  });

  it('a small repo file whose git blob id does not match: download_corrupt', async () => {
    hub.addRepo('fail-mlx/Flipped-4bit', { 'config.json': contentOf(Buffer.from('{"model_type":"llama"}')) });
    const { sha } = (await (await fetch(`${hub.baseUrl}/api/models/fail-mlx/Flipped-4bit/revision/main`)).json()) as {
      sha: string;
    };
    hub.setFault(`/fail-mlx/Flipped-4bit/resolve/${sha}/config.json`, { corrupt: true });
    const error = await pulls(hub.baseUrl).fail('hf:fail-mlx/Flipped-4bit');
    expect(error).toMatchObject({ code: 'download_corrupt', status: 502 });
    expect(error.message).toContain('git blob id mismatch');
    expect(error.message).toContain('so nothing of it was kept; retry');
  });

  it('a GGUF whose sha256 does not match the hub: checksum_mismatch (its code before), saying so and to retry', async () => {
    const ref = ggufRepo('fail-org/Flipped-GGUF', 'Flipped.Q4_0.gguf', { corrupt: true });
    const error = await pulls(hub.baseUrl).fail(ref);
    expect(error).toMatchObject({ code: 'checksum_mismatch', status: 502 });
    expect(error.message).toContain('sha256 mismatch');
    expect(error.message).toContain(
      `the file from ${hubHost} is not the one expected, so nothing of it was kept; retry`,
    );
  });

  it('a hub on a closed port: network_unreachable, pointing at the network and HF_ENDPOINT', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const { home, fail } = pulls(closed);
    const error = await fail('hf:fail-org/Anything-GGUF/Anything.Q4_0.gguf');
    expect(error).toMatchObject({ code: 'network_unreachable', status: 502 });
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain(
      `the server could not reach the hub (HF_ENDPOINT ${closed}): check the server's network, or set HF_ENDPOINT to a mirror it can reach`,
    );
    expect(existsSync(join(home, 'models', 'gguf'))).toBe(false);
  });
});
