import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { download } from '../../src/io/download.js';
import { ChecksumMismatchError, DownloadHttpError } from '../../src/io/download-errors.js';
import { acquireFileLock, FileLockBusyError } from '../../src/io/file-lock.js';
import { contentOf, type FakeContent, FakeHub } from '../models/support/fake-hub.js';

let hub: FakeHub;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  hub = await FakeHub.start();
});
afterAll(async () => {
  await hub.close();
  for (const child of children) child.kill();
});
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  dir = mkdtempSync(join(tmpdir(), 'autobyteus-dl-'));
  return dir;
}

function blob(name: string, size: number): { url: string; content: FakeContent; path: string } {
  const content = contentOf(randomBytes(size));
  return { url: hub.addBlob(name, content), content, path: `/blobs/${name}` };
}

/** Files in the download folder other than the final one. */
function leftovers(folder: string, dest: string) {
  return ['.partial', '.partial.lock'].filter((suffix) => existsSync(`${dest}${suffix}`)).map((s) => `${folder}:${s}`);
}

describe('download', () => {
  it('survives 10 connection cuts at random offsets, resuming each time with Range', async () => {
    const size = 8 * 1024 * 1024;
    const { url, content, path } = blob('cut10.bin', size);
    const offsets = new Set<number>();
    while (offsets.size < 10) offsets.add(1 + Math.floor(Math.random() * (size - 2)));
    const cuts = [...offsets].sort((a, b) => a - b);
    hub.setFault(path, { cutAt: [...cuts] });
    const dest = join(freshDir(), 'cut10.bin');

    const result = await download({ url, dest, sha256: content.sha256, retryBaseDelayMs: 5 });

    expect(result.sha256).toBe(content.sha256);
    expect(readFileSync(dest).equals(content.buffer!)).toBe(true);
    const requests = hub.requestsFor(path);
    const ranged = requests.filter((r) => r.range);
    expect(requests).toHaveLength(11);
    expect(ranged).toHaveLength(10);
    // Each resume starts exactly where the previous connection was cut.
    expect(ranged.map((r) => Number(/bytes=(\d+)-/.exec(r.range!)![1]))).toEqual(cuts);
    expect(result.resumedFrom).toEqual(cuts);
    expect(leftovers(dir, dest)).toEqual([]);
  });

  it('rejects wrong bytes: names expected and actual digest and the URL, deletes the partial, never creates the file', async () => {
    const { url, content, path } = blob('corrupt.bin', 3 * 1024 * 1024);
    hub.setFault(path, { corrupt: true });
    const dest = join(freshDir(), 'corrupt.bin');
    const error = await download({ url, dest, sha256: content.sha256 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    const mismatch = error as ChecksumMismatchError;
    expect(mismatch.message).toContain(content.sha256);
    expect(mismatch.message).toContain(mismatch.actual);
    expect(mismatch.message).toContain(url);
    expect(mismatch.actual).not.toBe(content.sha256);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.partial`)).toBe(false);
    expect(existsSync(`${dest}.partial.lock`)).toBe(false);
  });

  it('never shows a partial file under the final name', async () => {
    const { url, content, path } = blob('slow.bin', 1024 * 1024);
    hub.setFault(path, { trickle: { chunkBytes: 32 * 1024, delayMs: 10 } });
    const dest = join(freshDir(), 'slow.bin');
    let sawPartial = 0;
    let sawFinalEarly = false;
    const watcher = setInterval(() => {
      const partial = existsSync(`${dest}.partial`);
      if (partial) sawPartial++;
      if (existsSync(dest) && statSync(dest).size !== content.size) sawFinalEarly = true;
      if (partial && existsSync(dest)) sawFinalEarly = true;
    }, 5);
    const progress: number[] = [];
    try {
      await download({ url, dest, sha256: content.sha256, onProgress: (r) => progress.push(r), progressIntervalMs: 0 });
    } finally {
      clearInterval(watcher);
    }
    expect(sawPartial).toBeGreaterThan(5);
    expect(sawFinalEarly).toBe(false);
    expect(statSync(dest).size).toBe(content.size);
    expect(progress.at(-1)).toBe(content.size);
    expect(progress.every((value, i) => i === 0 || value >= progress[i - 1]!)).toBe(true);
  });

  it('coalesces concurrent downloads of one destination into one network download', async () => {
    const { url, content, path } = blob('shared.bin', 2 * 1024 * 1024);
    hub.setFault(path, { trickle: { chunkBytes: 256 * 1024, delayMs: 20 } });
    const dest = join(freshDir(), 'shared.bin');
    const seen: number[] = [];
    const first = download({ url, dest, sha256: content.sha256 });
    const second = download({ url, dest, sha256: content.sha256, onProgress: (r) => seen.push(r) });
    expect(second).toBe(first);
    const [a, b] = await Promise.all([first, second]);
    expect(a.sha256).toBe(content.sha256);
    expect(b).toBe(a);
    expect(hub.requestsFor(path)).toHaveLength(1);
    expect(seen.at(-1)).toBe(content.size);
  });

  it('retries a stalled connection and resumes after the stall', async () => {
    const { url, content, path } = blob('stall.bin', 2 * 1024 * 1024);
    hub.setFault(path, { stallAt: 1024 * 1024 });
    const dest = join(freshDir(), 'stall.bin');
    const started = Date.now();
    const result = await download({ url, dest, sha256: content.sha256, stallTimeoutMs: 300, retryBaseDelayMs: 5 });
    expect(result.sha256).toBe(content.sha256);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    const requests = hub.requestsFor(path);
    expect(requests).toHaveLength(2);
    expect(requests[1]!.range).toBe(`bytes=${1024 * 1024}-`);
  });

  it('resumes an existing partial from disk, re-hashing its prefix', async () => {
    const { url, content, path } = blob('resume.bin', 1024 * 1024);
    const dest = join(freshDir(), 'resume.bin');
    writeFileSync(`${dest}.partial`, content.buffer!.subarray(0, 300_000));
    const result = await download({ url, dest, sha256: content.sha256 });
    expect(result.sha256).toBe(content.sha256);
    expect(hub.requestsFor(path).map((r) => r.range)).toEqual(['bytes=300000-']);
  });

  it('restarts from byte 0 when the server ignores Range (200)', async () => {
    const { url, content, path } = blob('norange.bin', 1024 * 1024);
    hub.setFault(path, { ignoreRange: true });
    const dest = join(freshDir(), 'norange.bin');
    writeFileSync(`${dest}.partial`, content.buffer!.subarray(0, 400_000));
    const result = await download({ url, dest, sha256: content.sha256 });
    expect(result.sha256).toBe(content.sha256);
    expect(statSync(dest).size).toBe(content.size);
    expect(hub.requestsFor(path)).toHaveLength(1);
  });

  it('tells onBytes what crossed the network: not a resumed prefix, never a joined call, nothing for a reused file', async () => {
    const { url, content } = blob('bytes.bin', 1024 * 1024);
    const dest = join(freshDir(), 'bytes.bin');
    writeFileSync(`${dest}.partial`, content.buffer!.subarray(0, 300_000));
    let fetched = 0;
    let joined = 0;
    const first = download({ url, dest, sha256: content.sha256, onBytes: (n) => (fetched += n) });
    const second = download({ url, dest, sha256: content.sha256, onBytes: (n) => (joined += n) });
    await Promise.all([first, second]);
    expect(fetched).toBe(content.size - 300_000);
    expect(joined).toBe(0);
    let reused = 0;
    await download({ url, dest, sha256: content.sha256, onBytes: (n) => (reused += n) });
    expect(reused).toBe(0);
  });

  it('onBytes counts a prefix fetched again when the server ignores Range', async () => {
    const { url, content, path } = blob('bytes-norange.bin', 1024 * 1024);
    hub.setFault(path, { ignoreRange: true });
    const dest = join(freshDir(), 'bytes-norange.bin');
    writeFileSync(`${dest}.partial`, content.buffer!.subarray(0, 400_000));
    let fetched = 0;
    await download({ url, dest, sha256: content.sha256, onBytes: (n) => (fetched += n) });
    expect(fetched).toBe(content.size);
  });

  it('treats 416 on a complete partial as done and verifies it', async () => {
    const { url, content, path } = blob('complete.bin', 512 * 1024);
    const dest = join(freshDir(), 'complete.bin');
    writeFileSync(`${dest}.partial`, content.buffer!);
    const result = await download({ url, dest, sha256: content.sha256 });
    expect(result.sha256).toBe(content.sha256);
    expect(hub.requestsFor(path).map((r) => r.range)).toEqual([`bytes=${content.size}-`]);
    expect(existsSync(`${dest}.partial`)).toBe(false);
  });

  it('reuses a verified final file without any request', async () => {
    const { url, content, path } = blob('reuse.bin', 100_000);
    const dest = join(freshDir(), 'reuse.bin');
    writeFileSync(dest, content.buffer!);
    const result = await download({ url, dest, sha256: content.sha256 });
    expect(result.reused).toBe(true);
    expect(hub.requestsFor(path)).toHaveLength(0);
  });

  it('does not retry a 404 and says which URL', async () => {
    const dest = join(freshDir(), 'missing.bin');
    const url = `${hub.baseUrl}/blobs/does-not-exist`;
    const error = await download({ url, dest, retryBaseDelayMs: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadHttpError);
    expect((error as Error).message).toContain('404');
    expect((error as Error).message).toContain(url);
    expect(hub.requestsFor('/blobs/does-not-exist')).toHaveLength(1);
    expect(existsSync(dest)).toBe(false);
  });

  it('gives up after bounded retries when every attempt fails without progress', async () => {
    hub.setFault('/blobs/always500', { status: 500 });
    hub.addBlob('always500', contentOf(Buffer.alloc(10)));
    const dest = join(freshDir(), 'x.bin');
    const error = await download({
      url: `${hub.baseUrl}/blobs/always500`,
      dest,
      maxRetries: 3,
      retryBaseDelayMs: 1,
    }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /giving up on .*: 4 attempts in a row made no progress .*last error: HTTP 500/,
    );
    expect(hub.requestsFor('/blobs/always500')).toHaveLength(4);
  });

  it('keeps the partial when aborted, and the next call resumes it', async () => {
    const { url, content, path } = blob('abort.bin', 4 * 1024 * 1024);
    hub.setFault(path, { trickle: { chunkBytes: 64 * 1024, delayMs: 10 } });
    const dest = join(freshDir(), 'abort.bin');
    const controller = new AbortController();
    const running = download({
      url,
      dest,
      sha256: content.sha256,
      signal: controller.signal,
      progressIntervalMs: 0,
      onProgress: (received) => {
        if (received > 1024 * 1024) controller.abort();
      },
    });
    await expect(running).rejects.toThrow();
    const kept = statSync(`${dest}.partial`).size;
    expect(kept).toBeGreaterThan(1024 * 1024);
    expect(existsSync(`${dest}.partial.lock`)).toBe(false);
    hub.setFault(path, undefined);
    const result = await download({ url, dest, sha256: content.sha256 });
    expect(result.resumedFrom).toEqual([kept]);
    expect(result.sha256).toBe(content.sha256);
  });
});

describe('cross-process lock', () => {
  /** A live process standing in for another downloader. */
  function otherProcess(): number {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    children.push(child);
    return child.pid!;
  }

  function writeLock(lockPath: string, pid: number) {
    writeFileSync(
      lockPath,
      JSON.stringify({ pid, hostname: hostname(), createdAt: new Date().toISOString(), nonce: 'x' }),
    );
  }

  it('fails clearly with waitForLock: false while another live process holds the lock', async () => {
    const { url, content } = blob('locked.bin', 1000);
    const dest = join(freshDir(), 'locked.bin');
    const pid = otherProcess();
    writeLock(`${dest}.partial.lock`, pid);
    const error = await download({ url, dest, sha256: content.sha256, waitForLock: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FileLockBusyError);
    expect((error as Error).message).toContain(`pid ${pid}`);
    expect(existsSync(dest)).toBe(false);
  });

  it('waits for the other writer, then uses the file it finished without downloading', async () => {
    const { url, content, path } = blob('waited.bin', 50_000);
    const dest = join(freshDir(), 'waited.bin');
    const lockPath = `${dest}.partial.lock`;
    writeLock(lockPath, otherProcess());
    let waited = false;
    const running = download({ url, dest, sha256: content.sha256, onLockWait: () => (waited = true) });
    await vi.waitFor(() => expect(waited).toBe(true), { timeout: 5000 });
    // The other process finishes: final file in place, lock removed.
    writeFileSync(dest, content.buffer!);
    rmSync(lockPath);
    const result = await running;
    expect(result.reused).toBe(true);
    expect(hub.requestsFor(path)).toHaveLength(0);
  });

  it('takes over a lock left by a dead process', async () => {
    const { url, content } = blob('stale.bin', 50_000);
    const dest = join(freshDir(), 'stale.bin');
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('exit', resolve));
    writeLock(`${dest}.partial.lock`, child.pid!);
    const result = await download({ url, dest, sha256: content.sha256, waitForLock: false });
    expect(result.sha256).toBe(content.sha256);
  });

  it('admits one holder at a time', async () => {
    const lockPath = join(freshDir(), 'x.lock');
    const first = await acquireFileLock(lockPath);
    await expect(acquireFileLock(lockPath, { wait: false })).rejects.toBeInstanceOf(FileLockBusyError);
    const second = acquireFileLock(lockPath, { pollMs: 20 });
    await first.release();
    await (await second).release();
    expect(existsSync(lockPath)).toBe(false);
  });
});
