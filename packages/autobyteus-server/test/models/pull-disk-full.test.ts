import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiskFullError } from '../../src/io/download-errors.js';
import { pullModel } from '../../src/models/model-puller.js';
import type { GgufPullResult } from '../../src/models/pull-types.js';
import { contentOf, FakeHub } from './support/fake-hub.js';
import { tinyGguf } from './support/tiny-gguf.js';

// A real full disk: a 2 MiB tmpfs. Mounting needs root; without it these tests fail (they never skip).
const FS_BYTES = 2 * 1024 * 1024;
const BIG = 3 * 1024 * 1024;

let hub: FakeHub;
let mountPoint: string;
let dl: string;
let homes = 0;

beforeAll(async () => {
  mountPoint = mkdtempSync(join(tmpdir(), 'autobyteus-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${FS_BYTES}`, 'tmpfs', mountPoint], { stdio: 'pipe' });
  } catch (error) {
    throw new Error(
      `these tests need a small real file system: mount -t tmpfs failed (${(error as Error).message}); run them as root`,
    );
  }
  hub = await FakeHub.start();
  dl = hub.serveAnyName(contentOf(tinyGguf({ size: BIG })));
  hub.addBlob('small.gguf', contentOf(tinyGguf({ size: 100_000 })));
});
afterAll(async () => {
  await hub?.close();
  if (mountPoint) {
    try {
      execFileSync('umount', [mountPoint], { stdio: 'pipe' });
    } catch {
      // not mounted (beforeAll failed)
    }
    rmSync(mountPoint, { recursive: true, force: true });
  }
});

/** A fresh home on the small file system (previous homes are removed so each test starts with it empty). */
function homeOnSmallDisk() {
  for (const entry of readdirSync(mountPoint)) rmSync(join(mountPoint, entry), { recursive: true, force: true });
  const home = join(mountPoint, `home-${++homes}`);
  mkdirSync(home);
  return { home, hfCacheDir: join(home, 'hf', 'hub'), hubBaseUrl: hub.baseUrl, retryBaseDelayMs: 1 };
}

const ggufFolder = (home: string) => join(home, 'models', 'gguf');

describe('models pull onto a full disk', () => {
  it('checks free space against the announced size before writing, and names folder, need and free space', async () => {
    const opts = homeOnSmallDisk();
    const error = await pullModel(`${dl}big.gguf`, opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiskFullError);
    expect((error as Error).message).toMatch(
      new RegExp(`^no space left on ${ggufFolder(opts.home)}: need ${BIG} bytes, have \\d+ `),
    );
    expect((error as DiskFullError).freeBytes).toBeLessThan(BIG);
    expect(readdirSync(ggufFolder(opts.home))).toEqual([]);
  });

  it('checks the size the hub lists before making any download request', async () => {
    hub.addRepo('big-org/big', { 'big.gguf': contentOf(tinyGguf({ size: BIG })) });
    const opts = homeOnSmallDisk();
    const error = await pullModel('hf:big-org/big/big.gguf', opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiskFullError);
    expect((error as Error).message).toContain(`need ${BIG} bytes`);
    expect(hub.requests.filter((r) => r.path.startsWith('/big-org/big/resolve/'))).toEqual([]);
  });

  it('a body of unknown size that fills the disk: named as such, the partial removed, the next small pull works', async () => {
    hub.setFault('/dl/chunked.gguf', { chunked: true });
    const opts = homeOnSmallDisk();
    const error = await pullModel(`${dl}chunked.gguf`, opts).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiskFullError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^no space left on ${ggufFolder(opts.home)}: need \\d+ bytes, have \\d+ .*the partial file was removed`,
      ),
    );
    expect((error as Error).message).not.toMatch(/short write/);
    // Only the final one request: a full disk is not retried.
    expect(hub.requestsFor('/dl/chunked.gguf')).toHaveLength(1);
    expect(readdirSync(ggufFolder(opts.home))).toEqual([]);

    const small = (await pullModel(`${hub.baseUrl}/blobs/small.gguf`, opts)) as GgufPullResult;
    expect(small.size).toBe(100_000);
  });
});
