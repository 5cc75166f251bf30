import { createHash, type Hash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { assertRoomFor, freeBytes, isDiskFull } from './disk-space.js';
import {
  DiskFullError,
  DownloadError,
  DownloadHttpError,
  DownloadStalledError,
  DownloadWriteError,
} from './download-errors.js';
import { httpGet } from './http-get.js';
import { RateMeter } from './rate-meter.js';
import { redactUrl } from './redact-url.js';

/** Bytes gathered before one `writev` (at most two such batches are in memory at once). */
const WRITE_BATCH_BYTES = 1 << 20;
/** Batches that may wait for the disk before reading pauses (memory: at most this many MiB of body). */
const MAX_QUEUED_WRITES = 4;

/** Progress callback: bytes received so far (resumed prefix included), total when known, current rate. */
export type DownloadProgressFn = (received: number, total: number | undefined, bytesPerSec: number) => void;

/** Mutable state of one download across its attempts. */
export interface Transfer {
  url: string;
  /** Folder of the partial file, for free-space checks. */
  folder: string;
  handle: FileHandle;
  hash: Hash;
  /** Bytes on disk and in `hash`. */
  received: number;
  total: number | undefined;
  expectedSize: number | undefined;
  etag: string | undefined;
  requests: number;
  resumedFrom: number[];
  rate: RateMeter;
  lastEmit: number;
  /** `performance.now()` of the last byte received (or of the start): the retry budget counts from it. */
  lastByteAt: number;
}

/** What every attempt of one download shares. */
export interface AttemptSettings {
  headers?: Record<string, string>;
  signal?: AbortSignal;
  stallTimeoutMs: number;
  progressIntervalMs: number;
  emit: DownloadProgressFn;
  /** Told the size of every chunk as it arrives (network bytes: retried ranges count again, resumed prefixes not). */
  onBytes?: (bytes: number) => void;
}

/** A fresh transfer resuming whatever `handle` (opened for appending) already holds. */
export async function openTransfer(
  url: string,
  folder: string,
  handle: FileHandle,
  expectedSize: number | undefined,
): Promise<Transfer> {
  return {
    url,
    folder,
    handle,
    hash: createHash('sha256'),
    received: (await handle.stat()).size,
    total: expectedSize,
    expectedSize,
    etag: undefined,
    requests: 0,
    resumedFrom: [],
    rate: new RateMeter(),
    lastEmit: 0,
    lastByteAt: performance.now(),
  };
}

/** Empties the partial file and the running hash (the server sent the whole file, or another one). */
export async function restart(t: Transfer): Promise<void> {
  await t.handle.truncate(0);
  t.hash = createHash('sha256');
  t.received = 0;
  t.rate.reset();
}

/** One HTTP request; true when the file is complete, false when the caller should go round again. */
export async function attempt(t: Transfer, settings: AttemptSettings): Promise<boolean> {
  const { stallTimeoutMs: stallMs, emit } = settings;
  const headers: Record<string, string> = { ...settings.headers };
  const offset = t.received;
  if (offset > 0) {
    headers.range = `bytes=${offset}-`;
    // Resume only if the file is still the one we started on; otherwise the server sends it whole (200).
    if (t.etag && !t.etag.startsWith('W/')) headers['if-range'] = t.etag;
    t.resumedFrom.push(offset);
  }
  t.requests++;

  let destroy: ((reason: Error) => void) | undefined;
  let stallTimer: NodeJS.Timeout | undefined;
  // One timer, re-armed with refresh() on every chunk (cheaper than a new timer per chunk).
  const armStall = () => {
    if (stallTimer) stallTimer.refresh();
    else stallTimer = setTimeout(() => destroy?.(new DownloadStalledError(t.url, stallMs)), stallMs);
  };
  try {
    armStall();
    const { response, status } = await httpGet(t.url, {
      headers,
      signal: settings.signal,
      onRequest: (d) => {
        destroy = d;
      },
    });

    if (status === 416 && offset > 0) {
      response.resume();
      const total = parseTotal(response.headers['content-range']) ?? t.expectedSize;
      if (total === offset) {
        t.total = total;
        return true;
      }
      await restart(t);
      throw new DownloadError(`server refused the range from ${offset} (file size ${total ?? 'unknown'})`, t.url);
    }
    if (status !== 200 && status !== 206) {
      response.resume();
      throw new DownloadHttpError(status, t.url);
    }
    const etag = response.headers.etag;
    if (typeof etag === 'string') t.etag = etag;

    let total: number | undefined;
    if (status === 206) {
      const range = parseContentRange(response.headers['content-range']);
      if (!range || range.start !== offset) {
        response.resume();
        await restart(t);
        throw new DownloadError(`unexpected Content-Range ${response.headers['content-range']}`, t.url);
      }
      total = range.total;
    } else {
      // 200: the whole file, whatever we asked for.
      if (offset > 0) await restart(t);
      const length = Number(response.headers['content-length']);
      total = Number.isFinite(length) && response.headers['content-length'] !== undefined ? length : undefined;
    }
    if (total !== undefined && t.expectedSize !== undefined && total !== t.expectedSize) {
      response.resume();
      throw new DownloadError(
        `${redactUrl(t.url)} is ${total} bytes, expected ${t.expectedSize} (wrong file or revision)`,
        t.url,
      );
    }
    t.total = total ?? t.total;
    // Checked while the body already flows: pausing the socket here could lose bytes to a peer's RST.
    const room = t.total === undefined ? Promise.resolve() : assertRoomFor(t.folder, t.total - t.received, t.url);

    try {
      await streamBody(response, t, room, (arrived, bytes) => {
        armStall();
        settings.onBytes?.(bytes);
        const now = performance.now();
        t.lastByteAt = now;
        const rate = t.rate.record(arrived, now);
        if (now - t.lastEmit >= settings.progressIntervalMs) {
          t.lastEmit = now;
          emit(arrived, t.total, rate);
        }
      });
    } catch (error) {
      // Our own errors (stall, disk) pass; a socket torn down mid-body ("aborted", ECONNRESET) is named.
      if (error instanceof DownloadError || settings.signal?.aborted) throw error;
      throw new DownloadError(
        `connection closed at byte ${t.received} of ${t.total ?? 'an unknown size'} (${(error as Error).message})`,
        t.url,
        { cause: error },
      );
    }
    if (t.total !== undefined && t.received < t.total) {
      throw new DownloadError(`connection closed at byte ${t.received} of ${t.total}`, t.url);
    }
    return true;
  } finally {
    clearTimeout(stallTimer);
  }
}

/**
 * Copies the body to the partial file. Chunks are hashed as they arrive (in order) and gathered into 1 MiB
 * batches; batches are appended by a chain of `writev` calls, up to {@link MAX_QUEUED_WRITES} queued, so
 * the socket keeps being read while the disk catches up, with bounded memory. When the body ends or fails,
 * every queued batch is still written, so the file holds exactly the hashed bytes. Nothing is written
 * before `room` (the free-space check) resolves. A failed write is fatal for this call: a full disk becomes {@link DiskFullError}, anything else {@link DownloadWriteError}.
 */
async function streamBody(
  body: AsyncIterable<Buffer>,
  t: Transfer,
  room: Promise<void>,
  onData: (arrived: number, bytes: number) => void,
): Promise<void> {
  let batch: Buffer[] = [];
  let batchBytes = 0;
  let arrived = t.received;
  const queued: Promise<void>[] = [];
  let writeError: Error | undefined;
  // The first write waits for the free-space check; its failure stops the transfer like a failed write.
  let tail: Promise<void> = room.catch((error: Error) => {
    writeError = error;
  });
  const enqueue = (buffers: Buffer[], bytes: number) => {
    tail = tail.then(async () => {
      if (writeError) return;
      try {
        await writeAll(t.handle, buffers, bytes);
        t.received += bytes;
      } catch (error) {
        writeError = error as Error;
      }
    });
    queued.push(tail);
  };
  let failure: unknown;
  try {
    for await (const chunk of body) {
      t.hash.update(chunk);
      batch.push(chunk);
      batchBytes += chunk.length;
      arrived += chunk.length;
      onData(arrived, chunk.length);
      if (batchBytes >= WRITE_BATCH_BYTES) {
        enqueue(batch, batchBytes);
        batch = [];
        batchBytes = 0;
        if (queued.length >= MAX_QUEUED_WRITES) await queued.shift();
        if (writeError) break;
      }
    }
  } catch (error) {
    failure = error;
  }
  if (batchBytes > 0) enqueue(batch, batchBytes);
  await tail;
  if (writeError) {
    if (writeError instanceof DiskFullError) throw writeError;
    if (!isDiskFull(writeError)) throw new DownloadWriteError(t.url, writeError);
    const need = (t.total ?? arrived) - t.received;
    throw new DiskFullError(t.url, t.folder, need, await freeBytes(t.folder).catch(() => 0));
  }
  if (failure !== undefined) throw failure;
}

/**
 * Appends every byte of `buffers`. A short `writev` (the disk filled up mid-batch) is followed by a write
 * of the rest, so the real cause (ENOSPC) surfaces instead of a bare byte count.
 */
async function writeAll(handle: FileHandle, buffers: Buffer[], bytes: number): Promise<void> {
  const { bytesWritten } = await handle.writev(buffers);
  let rest = bytesWritten === bytes ? undefined : Buffer.concat(buffers).subarray(bytesWritten);
  while (rest && rest.length > 0) {
    const { bytesWritten: n } = await handle.write(rest);
    if (n === 0) throw new Error(`short write: ${bytes - rest.length} of ${bytes} bytes`);
    rest = rest.subarray(n);
  }
}

function parseContentRange(header: string | undefined): { start: number; total?: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? '');
  if (!match) return undefined;
  return { start: Number(match[1]), total: match[3] === '*' ? undefined : Number(match[3]) };
}

function parseTotal(header: string | undefined): number | undefined {
  const match = /\/(\d+)$/.exec(header?.trim() ?? '');
  return match ? Number(match[1]) : undefined;
}
