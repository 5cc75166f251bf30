import { setTimeout as sleep } from 'node:timers/promises';
import lockfile from 'proper-lockfile';

export interface FileLockOptions {
  /** Give up waiting for another holder after this long (default 30 s). */
  timeoutMs?: number;
  /**
   * A lock whose holder has not refreshed it for this long is taken over (default 10 s): a process
   * killed while holding the lock must not block every later command forever.
   */
  staleMs?: number;
}

/** Another process held the lock for longer than the caller was willing to wait. */
export class LockTimeoutError extends Error {
  constructor(lockPath: string, waitedMs: number) {
    super(
      `another autobyteus process has held ${lockPath} for over ${Math.round(waitedMs / 1000)} s; ` +
        'try again when it finishes (remove the lock folder only if no autobyteus process is running)',
    );
    this.name = 'LockTimeoutError';
  }
}

/**
 * Runs `fn` while holding an inter-process lock on `path` (a `<path>.lock` folder next to it).
 *
 * proper-lockfile is used because its lock is an atomic mkdir (works on every OS and on network
 * file systems, unlike flock) and it detects stale locks by mtime, which the holder refreshes. We
 * poll ourselves instead of using its `retries` so the wait is bounded by time, not attempts.
 * If the lock is lost while `fn` runs (holder stalled past `staleMs` and was taken over), `fn`'s
 * result is discarded and an error thrown, so a caller never reports a write that raced another.
 */
export async function withFileLock<T>(
  path: string,
  fn: (assertHeld: () => void) => Promise<T>,
  options: FileLockOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const staleMs = Math.max(2000, options.staleMs ?? 10_000);
  const lockPath = `${path}.lock`;
  let compromised: Error | null = null;
  const started = Date.now();
  let release: () => Promise<void>;
  for (let attempt = 0; ; attempt++) {
    try {
      release = await lockfile.lock(path, {
        realpath: false,
        lockfilePath: lockPath,
        stale: staleMs,
        retries: 0,
        onCompromised: (error) => {
          compromised = error;
        },
      });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
      if (Date.now() - started > timeoutMs) throw new LockTimeoutError(lockPath, Date.now() - started);
      // Short, jittered waits: holders keep the lock for milliseconds, and jitter avoids lockstep.
      await sleep(Math.min(5 + attempt * 2, 50) + Math.random() * 10);
    }
  }
  const assertHeld = () => {
    if (compromised) throw new Error(`lost the lock ${lockPath}: ${(compromised as Error).message}`);
  };
  try {
    const result = await fn(assertHeld);
    assertHeld();
    return result;
  } finally {
    await release().catch(() => {
      // Already released or taken over; nothing left to undo.
    });
  }
}
