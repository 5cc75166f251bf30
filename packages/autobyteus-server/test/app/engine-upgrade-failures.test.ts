import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../autobyteus/test/support/real-engines.js';
import { BackgroundJobs, type JobFailure } from '../../src/app/background-jobs.js';
import { describeEngineFailure } from '../../src/app/engine-upgrades.js';
import { loadServerConfig } from '../../src/config/server-config.js';
import { installFromRelease } from '../../src/engines/install/install-from-release.js';
import { engineHome } from '../engines/support/engine-home.js';
import { type Route, startReleaseServer } from '../engines/support/release-server.js';

// Engine upgrade jobs whose release download fails over real sockets (a local release server, a closed
// port), reported the way EngineUpgrades reports them (describeEngineFailure). The installer runs for
// real with a 1 ms first back-off, so that giving up takes a moment (the upgrade route has no such
// setting: this is why the job is started here rather than through EngineUpgrades).

const ASSET = (tag: string) => `llama-${tag}-bin-ubuntu-x64.tar.gz`;
const BODY = Buffer.alloc(64 * 1024, 3);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const routes = new Map<string, Route>([
  [`/releases/download/b503/${ASSET('b503')}`, { kind: 'status', status: 503 }],
  [`/releases/download/b1/${ASSET('b1')}`, { kind: 'cut', body: BODY, after: 1000 }],
  [`/releases/download/b2/${ASSET('b2')}`, { kind: 'bytes', body: BODY }],
  [`/releases/download/b2/${ASSET('b2')}.sha256`, { kind: 'bytes', body: Buffer.from(sha(Buffer.from('other'))) }],
]);
let server: Awaited<ReturnType<typeof startReleaseServer>>;
let host: string;

/** Runs the upgrade to `tag` from `baseUrl` as a job and resolves with the error the job reports. */
function failedUpgrade(baseUrl: string, tag: string, options: { sha256?: string } = {}): Promise<JobFailure> {
  const home = mkdtempSync(join(tmpdir(), 'autobyteus-upgrade-failures-'));
  const config = loadServerConfig({ env: { AUTOBYTEUS_HOME: home, LLAMACPP_RELEASE_URL: baseUrl }, cwd: home });
  const jobs = new BackgroundJobs();
  const { store } = engineHome();
  const { job } = jobs.start(
    'engine-upgrade',
    'engine\0llama-cpp',
    'llama-cpp',
    () =>
      installFromRelease({
        store,
        baseUrl,
        tag,
        asset: ASSET(tag),
        allowUnverified: true,
        sha256: options.sha256,
        retry: { baseDelayMs: 1 },
      }),
    (error) => describeEngineFailure(error, config),
  );
  return new Promise((resolve, reject) => {
    const off = jobs.subscribe((view) => {
      if (view.id !== job.id || !['done', 'failed', 'cancelled'].includes(view.state)) return;
      off();
      if (view.state === 'failed' && view.error) resolve(view.error);
      else reject(new Error(`the upgrade ended ${view.state}, not failed`));
    });
  });
}

beforeAll(async () => {
  server = await startReleaseServer(routes);
  host = new URL(server.baseUrl).host;
});

afterAll(() => server?.close());

describe('engine upgrade job failures', () => {
  it('a release site that answers 503 every time: upstream_unavailable naming the host and the status', async () => {
    const error = await failedUpgrade(server.baseUrl, 'b503');
    expect(error).toMatchObject({ code: 'upstream_unavailable', status: 502 });
    expect(error.message).toContain('9 attempts in a row made no progress');
    expect(error.message).toContain(
      `${host} answered HTTP 503: the llama.cpp release site is failing, not the server's network; retry later, or set LLAMACPP_RELEASE_URL to a mirror it can reach, or upgrade on the server machine from an archive: autobyteus-server engines upgrade llama-cpp --from <archive>`,
    );
    expect(error.message).not.toContain('could not reach');
  });

  it('a release site that sends part of the archive and closes, every time: download_interrupted', async () => {
    const error = await failedUpgrade(server.baseUrl, 'b1');
    expect(error).toMatchObject({ code: 'download_interrupted', status: 502 });
    expect(error.message).toContain(`last error: connection closed at byte 1000 of ${BODY.length}`);
    expect(error.message).toContain(
      `${host} was reached but closed the connection before the end of the file on every attempt`,
    );
    expect(error.message).not.toContain('could not reach');
  });

  it('an archive that does not match its .sha256: checksum_mismatch, 502, nothing kept, retry', async () => {
    const error = await failedUpgrade(server.baseUrl, 'b2');
    expect(error).toMatchObject({ code: 'checksum_mismatch', status: 502 });
    expect(error.message).toContain(`expected ${sha(Buffer.from('other'))}, got ${sha(BODY)}`);
    expect(error.message).toContain(`the file from ${host} is not the one expected, so nothing of it was kept; retry`);
  });

  it('a release site on a closed port: network_unreachable, pointing at the network and LLAMACPP_RELEASE_URL', async () => {
    const closed = `http://127.0.0.1:${await freePort()}/releases`;
    const error = await failedUpgrade(closed, 'b3', { sha256: sha(BODY) });
    expect(error).toMatchObject({ code: 'network_unreachable', status: 502 });
    expect(error.message).toContain('last error: connect ECONNREFUSED');
    expect(error.message).toContain(
      `the server could not reach the llama.cpp release site (LLAMACPP_RELEASE_URL ${closed}): check the server's network`,
    );
  });
});
