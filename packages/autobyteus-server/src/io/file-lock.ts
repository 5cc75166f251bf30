import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, stat, unlink, utimes } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { isProcessAlive } from './process-liveness.js';
import { abortReason, sleep } from './sleep.js';

/** Who holds a lock file, as written into it. */
export interface LockHolder {
  pid: number;
  hostname: string;
  createdAt: string;
  /** Random token so a lock is never mistaken for another one at the same path. */
  nonce: string;
}

export interface FileLockOptions {
  /** Wait for the holder to finish (default true); false throws {@link FileLockBusyError} at once. */
  wait?: boolean;
  /** Longest wait in ms (default: no limit; a dead or silent holder is detected as stale instead). */
  timeoutMs?: number;
  /** Poll interval while waiting (default 200 ms). */
  pollMs?: number;
  /** A lock whose heartbeat (mtime) is older than this is stale (default 60 s). */
  staleMs?: number;
  /** Told once when we start waiting for another holder. */
  onWait?: (holder: LockHolder | undefined) => void;
  signal?: AbortSignal;
}

/** A held lock; `release` is idempotent. */
export interface FileLock {
  path: string;
  /** Throws when another process took the lock over (our heartbeat stalled past `staleMs`). */
  assertHeld(): void;
  release(): Promise<void>;
}

/** Thrown when the lock is held by a live process and waiting was not asked for (or timed out). */
export class FileLockBusyError extends Error {
  constructor(
    readonly lockPath: string,
    readonly holder: LockHolder | undefined,
    reason: string,
  ) {
    super(
      `${lockPath} is locked by ${holder ? `pid ${holder.pid} on ${holder.hostname} since ${holder.createdAt}` : 'another process'}: ${reason}`,
    );
    this.name = 'FileLockBusyError';
  }
}

/**
 * Cross-process exclusive lock: a file created with `O_EXCL` holding `{pid, hostname, createdAt, nonce}`.
 * While held, its mtime is refreshed every `staleMs / 4`. A waiter takes over a lock whose holder is a dead
 * process on this host, or whose heartbeat stopped for `staleMs` (another host, or a frozen process).
 *
 * Takeover is check-then-unlink, so two waiters racing for the same stale lock can, in a narrow window,
 * both believe they won; callers that write must still write to a temp name and rename.
 */
export async function acquireFileLock(lockPath: string, options: FileLockOptions = {}): Promise<FileLock> {
  const staleMs = options.staleMs ?? 60_000;
  const pollMs = options.pollMs ?? 200;
  const started = Date.now();
  const me: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    createdAt: new Date().toISOString(),
    nonce: randomBytes(8).toString('hex'),
  };
  await mkdir(dirname(lockPath), { recursive: true });
  let told = false;
  for (;;) {
    if (options.signal?.aborted) throw abortReason(options.signal);
    if (await tryCreate(lockPath, me)) return heldLock(lockPath, me, staleMs);
    const observed = await readHolder(lockPath);
    if (observed === 'gone') continue;
    if (await isStale(lockPath, observed, staleMs)) {
      await removeIfUnchanged(lockPath, observed);
      continue;
    }
    if (options.wait === false) throw new FileLockBusyError(lockPath, observed, 'another download is in progress');
    if (options.timeoutMs !== undefined && Date.now() - started > options.timeoutMs) {
      throw new FileLockBusyError(
        lockPath,
        observed,
        `still held after ${Math.round(options.timeoutMs / 1000)} s; try again when it finishes ` +
          '(delete the lock file only if no autobyteus process is running)',
      );
    }
    if (!told) {
      told = true;
      options.onWait?.(observed);
    }
    await sleep(pollMs, options.signal);
  }
}

async function tryCreate(lockPath: string, me: LockHolder): Promise<boolean> {
  try {
    const handle = await open(lockPath, 'wx');
    try {
      await handle.writeFile(`${JSON.stringify(me)}\n`);
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** The holder written in the lock; undefined when unreadable (still being written), 'gone' when absent. */
async function readHolder(lockPath: string): Promise<LockHolder | undefined | 'gone'> {
  try {
    const parsed = JSON.parse(await readFile(lockPath, 'utf8')) as Partial<LockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.hostname === 'string' && typeof parsed.nonce === 'string') {
      return parsed as LockHolder;
    }
    return undefined;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    return undefined;
  }
}

async function isStale(lockPath: string, holder: LockHolder | undefined, staleMs: number): Promise<boolean> {
  if (holder && holder.hostname === hostname() && !isProcessAlive(holder.pid)) return true;
  try {
    return Date.now() - (await stat(lockPath)).mtimeMs > staleMs;
  } catch {
    return false;
  }
}

async function removeIfUnchanged(lockPath: string, observed: LockHolder | undefined): Promise<void> {
  const now = await readHolder(lockPath);
  if (now === 'gone') return;
  // Someone replaced it since we judged it stale: leave the new holder alone.
  if (now?.nonce !== observed?.nonce) return;
  await unlink(lockPath).catch(() => undefined);
}

function heldLock(lockPath: string, me: LockHolder, staleMs: number): FileLock {
  let lost = false;
  const heartbeat = setInterval(
    () => {
      void readHolder(lockPath).then((holder) => {
        // Someone judged us stale and took over: whatever we write now could race them.
        if (holder === 'gone' || (holder && holder.nonce !== me.nonce)) lost = true;
        if (lost) return;
        const now = new Date();
        return utimes(lockPath, now, now).catch(() => undefined);
      });
    },
    Math.max(50, Math.floor(staleMs / 4)),
  );
  heartbeat.unref();
  let released = false;
  return {
    path: lockPath,
    assertHeld() {
      if (lost) throw new Error(`lost the lock ${lockPath}: another process took it over`);
    },
    async release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      const holder = await readHolder(lockPath);
      if (holder !== 'gone' && holder?.nonce === me.nonce) await unlink(lockPath).catch(() => undefined);
    },
  };
}

/**
 * Runs `fn` while holding the lock `<path>.lock`, waiting at most `timeoutMs` (default 30 s) for
 * another holder. `fn` gets `assertHeld` to call before it commits a write; its result is discarded
 * with an error when the lock was lost meanwhile, so a caller never reports a write that raced another.
 */
export async function withFileLock<T>(
  path: string,
  fn: (assertHeld: () => void) => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const lock = await acquireFileLock(`${path}.lock`, { timeoutMs: 30_000, pollMs: 20, ...options });
  try {
    const result = await fn(() => lock.assertHeld());
    lock.assertHeld();
    return result;
  } finally {
    await lock.release();
  }
}
