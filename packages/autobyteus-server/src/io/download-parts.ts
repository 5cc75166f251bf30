import { readFile, stat, unlink } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write.js';
import { type ConnectionProbe, nextProbe, type ProbeState, startProbe } from './download-connections.js';
import { fetchSegmentWithRetries } from './download-retries.js';
import type { AttemptSettings, Segment, Transfer } from './download-transfer.js';
import type { RetryPolicy } from './retry-policy.js';

/** How often the parts' progress is saved while they run (and always when they stop). */
const SAVE_INTERVAL_MS = 1_000;

// `<partial>.parts`: which bytes of each part are on disk, so an interrupted ranged download resumes
// every part where it stopped. It is ours, but a crash or another version may leave anything there.
// zod is loaded only when such a file exists: a fresh download does not pay its memory (about 10 MB).
async function partsStateSchema() {
  const { z } = await import('zod');
  return z.object({
    version: z.literal(1),
    size: z.number().int().positive(),
    partBytes: z.number().int().positive(),
    etag: z.string().optional(),
    done: z.array(z.number().int().nonnegative()),
  });
}

/** Where the parts' state of `partial` lives. */
export function partsStatePath(partial: string): string {
  return `${partial}.parts`;
}

/** Parts of `partBytes` (the last one shorter) covering `size` bytes, none fetched yet. */
export function planParts(size: number, partBytes: number): Segment[] {
  const segments: Segment[] = [];
  const now = performance.now();
  for (let start = 0; start < size; start += partBytes) {
    segments.push({ start, end: Math.min(size, start + partBytes), done: 0, lastByteAt: now });
  }
  return segments;
}

/**
 * The parts saved for `partial`, when the state is readable, is for a file of `size` bytes and the
 * partial on disk has that size (it is allocated whole when the parts are planned); otherwise undefined.
 */
export async function loadParts(
  partial: string,
  size: number,
): Promise<{ segments: Segment[]; etag?: string } | undefined> {
  let text: string;
  try {
    text = await readFile(partsStatePath(partial), 'utf8');
  } catch {
    return undefined;
  }
  let state: { size: number; partBytes: number; etag?: string; done: number[] };
  try {
    state = (await partsStateSchema()).parse(JSON.parse(text));
  } catch {
    return undefined;
  }
  const onDisk = await stat(partial).then(
    (s) => s.size,
    () => -1,
  );
  if (state.size !== size || onDisk !== size) return undefined;
  const segments = planParts(size, state.partBytes);
  if (segments.length !== state.done.length) return undefined;
  for (const [i, s] of segments.entries()) {
    const done = state.done[i] as number;
    if (done > (s.end as number) - s.start) return undefined;
    s.done = done;
  }
  return { segments, etag: state.etag };
}

/** Writes the parts' state (atomically: a crash leaves the old or the new one). */
export async function saveParts(partial: string, t: Pick<Transfer, 'segments' | 'etag'>, size: number): Promise<void> {
  const first = t.segments[0] as Segment;
  const state = {
    version: 1 as const,
    size,
    partBytes: (first.end as number) - first.start,
    etag: t.etag,
    done: t.segments.map((s) => s.done),
  };
  await writeFileAtomic(partsStatePath(partial), JSON.stringify(state));
}

/** Removes the parts' state (the file is complete, restarted as one stream, or deleted). */
export async function removeParts(partial: string): Promise<void> {
  await unlink(partsStatePath(partial)).catch(() => undefined);
}

/**
 * Fetches every incomplete part of `t` over up to `connections` parallel requests, taking the parts in
 * file order so the hash, which follows the contiguous prefix, trails the download by a few parts only.
 * With `probe`, it starts with one connection and adds more only while they raise the rate (see
 * {@link nextProbe}); a connection taken back stops after its current part. Without it, all start at
 * once. Each part retries on its own (the same policy as a single stream). The first final error stops
 * the others and is thrown; the state is saved every second and when the parts stop, so a later call
 * resumes each part where it stopped.
 */
export async function fetchParts(
  t: Transfer,
  partial: string,
  size: number,
  connections: number,
  settings: AttemptSettings,
  policy: RetryPolicy,
  probe?: ConnectionProbe,
): Promise<void> {
  const stop = new AbortController();
  const signal = settings.signal ? AbortSignal.any([settings.signal, stop.signal]) : stop.signal;
  let saving: Promise<void> = Promise.resolve();
  const save = () => {
    saving = saving.then(() => saveParts(partial, t, size)).catch(() => undefined);
    return saving;
  };
  const max = Math.min(connections, t.segments.length);
  let next = 0;
  let failed = false;
  let firstError: unknown;
  let active = 0;
  const running: Promise<void>[] = [];
  const connection = async () => {
    try {
      while (!failed && next < t.segments.length) {
        // Taken back by the probe: the others go on.
        if (active > wanted) return;
        const part = t.segments[next++] as Segment;
        if (part.done >= (part.end as number) - part.start) continue;
        try {
          await fetchSegmentWithRetries(t, () => part, { ...settings, signal }, policy);
        } catch (error) {
          if (!failed) {
            failed = true;
            firstError = error;
            stop.abort(error);
          }
          return;
        }
      }
    } finally {
      active--;
    }
  };
  const open = () => {
    while (active < wanted && !failed && next < t.segments.length) {
      active++;
      t.connections = Math.max(t.connections, active);
      running.push(connection());
    }
  };
  let state = probe ? startProbe(max, performance.now(), t.arrived) : undefined;
  let wanted = state ? 1 : max;
  const prober =
    probe && state && !state.settled
      ? setInterval(() => {
          state = nextProbe(state as ProbeState, performance.now(), t.arrived, probe);
          wanted = state.connections;
          open();
          if (state.settled) clearInterval(prober);
        }, probe.windowMs / 4)
      : undefined;
  const timer = setInterval(save, SAVE_INTERVAL_MS);
  try {
    open();
    // Connections opened later by the probe are awaited too.
    for (let i = 0; i < running.length; i++) await running[i];
  } finally {
    clearInterval(prober);
    clearInterval(timer);
    await save();
  }
  if (failed) throw firstError;
}
