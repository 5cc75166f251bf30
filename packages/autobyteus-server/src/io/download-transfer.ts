import type { FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { assertRoomFor, freeBytes, isDiskFull } from './disk-space.js';
import {
  DiskFullError,
  DownloadError,
  DownloadHttpError,
  DownloadStalledError,
  DownloadWriteError,
  RangeIgnoredError,
} from './download-errors.js';
import { httpGet } from './http-get.js';
import { RateMeter } from './rate-meter.js';
import { receivedChunks } from './received-chunks.js';
import { redactUrl } from './redact-url.js';
import { TrailingFileHasher } from './trailing-file-hasher.js';

/**
 * Bytes gathered before one `writev`. Measured on 1 GiB over loopback: 256 KiB beat 1 MiB (ranged parts
 * about 1.4x faster, 1-3 MB less peak RSS) and 64 KiB (a write per chunk: more CPU).
 */
const WRITE_BATCH_BYTES = 256 * 1024;
/** Batches that may wait for the disk before reading pauses (memory: at most this many batches of body). */
const MAX_QUEUED_WRITES = 2;

/** Least time between two samples of the rate meter. */
const RATE_SAMPLE_MS = 50;

/** Progress callback: bytes received so far (resumed prefix included), total when known, current rate. */
export type DownloadProgressFn = (received: number, total: number | undefined, bytesPerSec: number) => void;

/** One byte range of the file, fetched by its own requests. */
export interface Segment {
  /** First byte of the range. */
  start: number;
  /** One past its last byte; undefined for the single stream of a file of unknown size ("to the end"). */
  end: number | undefined;
  /** Bytes of the range on disk, from `start`. */
  done: number;
  /** `performance.now()` of its last byte (or of the start): the retry budget counts from it. */
  lastByteAt: number;
}

/** Mutable state of one download across its attempts. */
export interface Transfer {
  url: string;
  /** The partial file (the hash worker reads it back). */
  path: string;
  /** Folder of the partial file, for free-space checks. */
  folder: string;
  /** Opened read-write; every write is positional, so ranges may arrive in any order. */
  handle: FileHandle;
  /** Follows the contiguous written prefix of the file. */
  hasher: TrailingFileHasher;
  /** In file order: one open-ended segment for a single stream, or the ranged parts. */
  segments: Segment[];
  /** Bytes received (on disk, or in a batch on its way to the disk). */
  arrived: number;
  total: number | undefined;
  expectedSize: number | undefined;
  etag: string | undefined;
  requests: number;
  /** Most requests that ran at once (the parts' connections; 1 for one stream). */
  connections: number;
  resumedFrom: number[];
  rate: RateMeter;
  lastEmit: number;
  /** When the rate meter last got a sample. */
  lastSample: number;
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

/**
 * A transfer of `segments` (ranged parts), or else of one stream resuming whatever `handle` already holds;
 * the hash worker starts on the prefix already on disk while the network resumes.
 */
export async function openTransfer(
  url: string,
  path: string,
  folder: string,
  handle: FileHandle,
  expectedSize: number | undefined,
  parts?: Segment[],
): Promise<Transfer> {
  const now = performance.now();
  const segments = parts ?? [{ start: 0, end: undefined, done: (await handle.stat()).size, lastByteAt: now }];
  const done = segments.reduce((sum, s) => sum + s.done, 0);
  const t: Transfer = {
    url,
    path,
    folder,
    handle,
    hasher: new TrailingFileHasher(path),
    segments,
    arrived: done,
    total: expectedSize,
    expectedSize,
    etag: undefined,
    requests: 0,
    connections: 1,
    resumedFrom: [],
    rate: new RateMeter(),
    lastEmit: 0,
    lastSample: 0,
  };
  advanceHash(t);
  return t;
}

/** Bytes on disk across all segments. */
export function received(t: Transfer): number {
  return t.segments.reduce((sum, s) => sum + s.done, 0);
}

/** Empties the partial file and the running hash (the server sent the whole file, or another one). */
export async function restart(t: Transfer): Promise<void> {
  await t.handle.truncate(0);
  await t.hasher.dispose();
  t.hasher = new TrailingFileHasher(t.path);
  t.segments = [{ start: 0, end: undefined, done: 0, lastByteAt: performance.now() }];
  t.arrived = 0;
  t.rate.reset();
}

/** Tells the hasher how far the file is written without a gap. */
function advanceHash(t: Transfer): void {
  let upTo = 0;
  for (const s of t.segments) {
    if (s.start !== upTo) break;
    upTo = s.start + s.done;
    if (s.end === undefined || upTo < s.end) break;
  }
  t.hasher.advance(upTo);
}

/**
 * One HTTP request for the rest of `segment`; true when the segment is complete, false when the caller
 * should go round again. A single stream asks `Range: bytes=N-` only to resume; a part always asks for
 * its closed range, and a 200 answer to it is {@link RangeIgnoredError}.
 */
export async function attempt(t: Transfer, segment: Segment, settings: AttemptSettings): Promise<boolean> {
  const { stallTimeoutMs: stallMs, emit } = settings;
  const headers: Record<string, string> = { ...settings.headers };
  const ranged = segment.end !== undefined;
  const offset = segment.start + segment.done;
  if (offset > 0 || ranged) {
    headers.range = `bytes=${offset}-${ranged ? (segment.end as number) - 1 : ''}`;
    // Resume only if the file is still the one we started on; otherwise the server sends it whole (200).
    if (t.etag && !t.etag.startsWith('W/')) headers['if-range'] = t.etag;
    if (segment.done > 0) t.resumedFrom.push(offset);
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

    if (status === 416 && offset > 0 && !ranged) {
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
    if (status === 200 && ranged) {
      response.destroy();
      throw new RangeIgnoredError(t.url);
    }
    const etag = response.headers.etag;
    if (typeof etag === 'string') t.etag = etag;

    let target = segment;
    let total: number | undefined;
    if (status === 206) {
      const range = parseContentRange(response.headers['content-range']);
      const wantedEnd = ranged ? (segment.end as number) - 1 : undefined;
      if (!range || range.start !== offset || (wantedEnd !== undefined && range.end !== wantedEnd)) {
        response.resume();
        if (!ranged) await restart(t);
        throw new DownloadError(`unexpected Content-Range ${response.headers['content-range']}`, t.url);
      }
      total = range.total;
    } else {
      // 200: the whole file, whatever we asked for.
      if (offset > 0) {
        await restart(t);
        target = t.segments[0] as Segment;
      }
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
    const room = t.total === undefined ? Promise.resolve() : assertRoomFor(t.folder, t.total - received(t), t.url);

    try {
      await streamBody(response, t, target, room, (bytes) => {
        armStall();
        settings.onBytes?.(bytes);
        const now = performance.now();
        target.lastByteAt = now;
        // A sample per 50 ms, not per chunk (thousands a second): the rate is a 5 s window anyway.
        if (now - t.lastSample >= RATE_SAMPLE_MS) {
          t.lastSample = now;
          t.rate.record(t.arrived, now);
        }
        if (now - t.lastEmit >= settings.progressIntervalMs) {
          t.lastEmit = now;
          emit(t.arrived, t.total, t.rate.rate());
        }
      });
    } catch (error) {
      // Our own errors (stall, disk) pass; a socket torn down mid-body ("aborted", ECONNRESET) is named.
      if (error instanceof DownloadError || settings.signal?.aborted) throw error;
      throw new DownloadError(
        `connection closed at byte ${target.start + target.done} of ${t.total ?? 'an unknown size'} (${(error as Error).message})`,
        t.url,
        { cause: error, reason: 'interrupted' },
      );
    }
    const end = target.end ?? t.total;
    if (end !== undefined && target.start + target.done < end) {
      throw new DownloadError(`connection closed at byte ${target.start + target.done} of ${t.total}`, t.url, {
        reason: 'interrupted',
      });
    }
    return true;
  } finally {
    clearTimeout(stallTimer);
  }
}

/**
 * Copies the body into `segment` of the partial file. Chunks are gathered into 256 KiB batches, written
 * with positional `writev` calls chained one after another, up to {@link MAX_QUEUED_WRITES} queued, so
 * the socket keeps being read while the disk catches up, with bounded memory. When the body ends or fails,
 * every queued batch is still written, so `segment.done` counts exactly the bytes received. Nothing is
 * written before `room` (the free-space check) resolves. A failed write is fatal for this call: a full
 * disk becomes {@link DiskFullError}, anything else {@link DownloadWriteError}.
 */
async function streamBody(
  body: Readable,
  t: Transfer,
  segment: Segment,
  room: Promise<void>,
  onData: (bytes: number) => void,
): Promise<void> {
  let batch: Buffer[] = [];
  let batchBytes = 0;
  const limit = segment.end === undefined ? Number.POSITIVE_INFINITY : segment.end - segment.start;
  let queuedBytes = segment.done;
  const queued: Promise<void>[] = [];
  let writeError: Error | undefined;
  // The first write waits for the free-space check; its failure stops the transfer like a failed write.
  let tail: Promise<void> = room.catch((error: Error) => {
    writeError = error;
  });
  const enqueue = (buffers: Buffer[], bytes: number) => {
    const position = segment.start + queuedBytes;
    queuedBytes += bytes;
    tail = tail.then(async () => {
      if (writeError) return;
      try {
        await writeAll(t.handle, buffers, bytes, position);
        segment.done += bytes;
        advanceHash(t);
      } catch (error) {
        writeError = error as Error;
      }
    });
    queued.push(tail);
  };
  let failure: unknown;
  try {
    // Bytes that arrived before a cut are kept too, so a retry resumes at the cut, not before it.
    for await (const chunk of receivedChunks(body)) {
      if (queuedBytes + batchBytes + chunk.length > limit) {
        throw new DownloadError(`the server sent more than the ${limit} bytes asked for`, t.url);
      }
      batch.push(chunk);
      batchBytes += chunk.length;
      t.arrived += chunk.length;
      onData(chunk.length);
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
  // Bytes that arrived but were never written (a failed write) are not received.
  t.arrived -= queuedBytes - segment.done;
  if (writeError) {
    if (writeError instanceof DiskFullError) throw writeError;
    if (!isDiskFull(writeError)) throw new DownloadWriteError(t.url, writeError);
    const need = (t.total ?? t.arrived) - received(t);
    throw new DiskFullError(t.url, t.folder, need, await freeBytes(t.folder).catch(() => 0));
  }
  if (failure !== undefined) throw failure;
}

/**
 * Writes every byte of `buffers` at `position`. A short `writev` (the disk filled up mid-batch) is followed
 * by a write of the rest, so the real cause (ENOSPC) surfaces instead of a bare byte count.
 */
async function writeAll(handle: FileHandle, buffers: Buffer[], bytes: number, position: number): Promise<void> {
  const { bytesWritten } = await handle.writev(buffers, position);
  let rest = bytesWritten === bytes ? undefined : Buffer.concat(buffers).subarray(bytesWritten);
  let at = position + bytesWritten;
  while (rest && rest.length > 0) {
    const { bytesWritten: n } = await handle.write(rest, 0, rest.length, at);
    if (n === 0) throw new Error(`short write: ${bytes - rest.length} of ${bytes} bytes`);
    rest = rest.subarray(n);
    at += n;
  }
}

function parseContentRange(header: string | undefined): { start: number; end: number; total?: number } | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? '');
  if (!match) return undefined;
  return { start: Number(match[1]), end: Number(match[2]), total: match[3] === '*' ? undefined : Number(match[3]) };
}

function parseTotal(header: string | undefined): number | undefined {
  const match = /\/(\d+)$/.exec(header?.trim() ?? '');
  return match ? Number(match[1]) : undefined;
}
