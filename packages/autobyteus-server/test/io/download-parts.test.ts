import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { download } from '../../src/io/download.js';
import { ChecksumMismatchError, DiskFullError, DownloadHttpError } from '../../src/io/download-errors.js';
import { contentOf, type FakeContent, FakeHub } from '../models/support/fake-hub.js';

// Ranged parts: small parts so that a few MiB make several of them.
const PART = 256 * 1024;
const SIZE = 8 * PART + 12_345;

let hub: FakeHub;
let dir: string;

beforeAll(async () => {
  hub = await FakeHub.start();
});
afterAll(async () => {
  await hub.close();
});
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function freshDir(): string {
  dir = mkdtempSync(join(tmpdir(), 'autobyteus-dl-parts-'));
  return dir;
}

function blob(name: string, size = SIZE): { url: string; content: FakeContent; path: string } {
  const content = contentOf(randomBytes(size));
  return { url: hub.addBlob(name, content), content, path: `/blobs/${name}` };
}

const partOf = (offset: number) => Math.floor(offset / PART);
const closedRange = (from: number, to: number) => `bytes=${from}-${to - 1}`;
const partEnd = (offset: number) => Math.min(SIZE, (partOf(offset) + 1) * PART);

function options(url: string, dest: string, content: FakeContent) {
  return { url, dest, sha256: content.sha256, expectedSize: content.size, partBytes: PART, retryBaseDelayMs: 5 };
}

describe('download in ranged parts', () => {
  it('fetches every part once with a closed range, verifies the whole file and leaves no state behind', async () => {
    const { url, content, path } = blob('parts.bin');
    const dest = join(freshDir(), 'parts.bin');
    const result = await download(options(url, dest, content));
    expect(result.sha256).toBe(content.sha256);
    expect(readFileSync(dest).equals(content.buffer!)).toBe(true);
    const ranges = hub.requestsFor(path).map((r) => r.range);
    const expected = Array.from({ length: 9 }, (_, i) => closedRange(i * PART, Math.min(SIZE, (i + 1) * PART)));
    expect([...ranges].sort()).toEqual([...expected].sort());
    expect(readdirSync(dir)).toEqual(['parts.bin']);
  });

  it('resumes a part cut mid-body from the cut, up to the end of that part only', async () => {
    const { url, content, path } = blob('parts-cut.bin');
    const cuts = [PART + 1000, 5 * PART + 77_777];
    hub.setFault(path, { cutAt: [...cuts] });
    const dest = join(freshDir(), 'parts-cut.bin');
    const result = await download(options(url, dest, content));
    expect(result.sha256).toBe(content.sha256);
    expect(result.resumedFrom.sort((a, b) => a - b)).toEqual(cuts);
    const ranges = hub.requestsFor(path).map((r) => r.range);
    for (const cut of cuts) expect(ranges).toContain(closedRange(cut, partEnd(cut)));
    expect(ranges).toHaveLength(9 + cuts.length);
    expect(readdirSync(dir)).toEqual(['parts-cut.bin']);
  });

  it('retries a stalled part and resumes it after the stall', async () => {
    const { url, content, path } = blob('parts-stall.bin');
    const stallAt = 3 * PART + 4096;
    hub.setFault(path, { stallAt });
    const dest = join(freshDir(), 'parts-stall.bin');
    const result = await download({ ...options(url, dest, content), stallTimeoutMs: 300 });
    expect(result.sha256).toBe(content.sha256);
    expect(hub.requestsFor(path).map((r) => r.range)).toContain(closedRange(stallAt, partEnd(stallAt)));
  });

  it('keeps each part’s progress when aborted; the next call fetches only what is missing', async () => {
    const { url, content, path } = blob('parts-abort.bin');
    hub.setFault(path, { trickle: { chunkBytes: 16 * 1024, delayMs: 10 } });
    const dest = join(freshDir(), 'parts-abort.bin');
    const controller = new AbortController();
    let firstBytes = 0;
    const running = download({
      ...options(url, dest, content),
      signal: controller.signal,
      onBytes: (n) => {
        firstBytes += n;
        if (firstBytes > 3 * PART) controller.abort();
      },
    });
    await expect(running).rejects.toThrow();
    expect(existsSync(`${dest}.partial`)).toBe(true);
    const state = JSON.parse(readFileSync(`${dest}.partial.parts`, 'utf8')) as { done: number[] };
    const saved = state.done.reduce((a, b) => a + b, 0);
    expect(saved).toBeGreaterThan(0);

    hub.setFault(path, undefined);
    const before = hub.requestsFor(path).length;
    let secondBytes = 0;
    const result = await download({ ...options(url, dest, content), onBytes: (n) => (secondBytes += n) });
    expect(result.sha256).toBe(content.sha256);
    // Only the bytes the state did not record crossed the network again.
    expect(secondBytes).toBe(SIZE - saved);
    // Each part is asked for once, from where its state stopped, or not at all when complete. Requests
    // are told apart by the part their first byte is in: a complete part's end is the next one's start.
    const resumed = hub.requestsFor(path).slice(before);
    const firstByte = (range: string | undefined) => Number(/^bytes=(\d+)-/.exec(range ?? '')?.[1]);
    let incomplete = 0;
    state.done.forEach((done, i) => {
      const start = i * PART;
      const end = Math.min(SIZE, start + PART);
      const asked = resumed.filter((r) => partOf(firstByte(r.range)) === i).map((r) => r.range);
      if (done < end - start) incomplete++;
      expect(asked).toEqual(done === end - start ? [] : [closedRange(start + done, end)]);
    });
    expect(resumed).toHaveLength(incomplete);
    expect(readdirSync(dir)).toEqual(['parts-abort.bin']);
  });

  it('falls back to one stream from byte 0 when the server ignores Range', async () => {
    const { url, content, path } = blob('parts-norange.bin');
    hub.setFault(path, { ignoreRange: true });
    const dest = join(freshDir(), 'parts-norange.bin');
    const result = await download(options(url, dest, content));
    expect(result.sha256).toBe(content.sha256);
    expect(readFileSync(dest).equals(content.buffer!)).toBe(true);
    const requests = hub.requestsFor(path);
    expect(requests.at(-1)!.range).toBeUndefined();
    expect(requests.slice(0, -1).every((r) => r.range !== undefined)).toBe(true);
    expect(readdirSync(dir)).toEqual(['parts-norange.bin']);
  });

  it('rejects wrong bytes in a part: names both digests and the URL, deletes the partial and its state', async () => {
    const { url, content, path } = blob('parts-corrupt.bin');
    hub.setFault(path, { corrupt: true });
    const dest = join(freshDir(), 'parts-corrupt.bin');
    const error = await download(options(url, dest, content)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChecksumMismatchError);
    expect((error as Error).message).toContain(content.sha256);
    expect((error as Error).message).toContain(url);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a part answered with a final error stops the other parts and names the URL; the state stays for a retry', async () => {
    const { url, content, path } = blob('parts-404.bin');
    hub.setFault(path, { status: 404 });
    const dest = join(freshDir(), 'parts-404.bin');
    const error = await download(options(url, dest, content)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadHttpError);
    expect((error as Error).message).toContain(url);
    expect(existsSync(dest)).toBe(false);
    expect(existsSync(`${dest}.partial.lock`)).toBe(false);
    // At most one request per connection: the first 404 stops the rest.
    expect(hub.requestsFor(path).length).toBeLessThanOrEqual(4);
    hub.setFault(path, undefined);
    const result = await download(options(url, dest, content));
    expect(result.sha256).toBe(content.sha256);
  });
});

describe('download in ranged parts onto a full disk', () => {
  let mountPoint: string;
  beforeAll(() => {
    mountPoint = mkdtempSync(join(tmpdir(), 'autobyteus-parts-full-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { stdio: 'pipe' });
    } catch (error) {
      throw new Error(`this test needs a small real file system: mount -t tmpfs failed (${(error as Error).message})`);
    }
  });
  afterAll(() => {
    try {
      execFileSync('umount', [mountPoint], { stdio: 'pipe' });
    } catch {
      // not mounted
    }
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('refuses before allocating the parts: names the folder and the sizes, leaves nothing behind', async () => {
    const { url, content } = blob('parts-full.bin', 2 * 1024 * 1024);
    const dest = join(mountPoint, 'parts-full.bin');
    const error = await download(options(url, dest, content)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DiskFullError);
    expect((error as Error).message).toContain(mountPoint);
    expect((error as Error).message).toContain(String(content.size));
    expect(readdirSync(mountPoint)).toEqual([]);
  });
});
