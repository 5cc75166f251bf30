import { probeUrl } from './engine-address.js';
import { describeExit, type Run, waitForLine } from './engine-run.js';
import type { ReadinessProbe } from './readiness-probe.js';

/** How one start (or restart) attempt ended. */
export type AttemptResult =
  | { ok: true }
  | { ok: false; cause: 'exit' | 'timeout' | 'stopped' | 'error'; reason: string };

/** Abort reason of a start attempt: the process exited, the start timed out, or `stop()` was called. */
export class AttemptAbort {
  constructor(readonly cause: 'exit' | 'timeout' | 'stopped') {}
}

/** What {@link awaitReadiness} needs besides the run. */
export interface AttemptContext {
  /** The engine's host URL (probed in its loopback form). */
  url: string;
  /** The program's name for failure reasons. */
  program: string;
  /** The engine, for what-to-do hints (`engines install <engine>`). */
  engine: string;
  readiness: ReadinessProbe;
  /** Bound for the attempt, from launch to ready. */
  timeoutMs: number;
  /** Kills the run (SIGTERM, then SIGKILL): a process that will not become ready is not left behind. */
  terminate(run: Run): Promise<void>;
}

/**
 * Runs the readiness probe against `run`, bounded by the start timeout, the process's exit and
 * `stop()` (which aborts `run.abort` with `AttemptAbort('stopped')`). A timed-out or failed probe
 * kills the process; the reason quotes the last output lines.
 */
export async function awaitReadiness(run: Run, context: AttemptContext): Promise<AttemptResult> {
  const { timeoutMs, readiness } = context;
  const signal = run.abort.signal;
  const timer = setTimeout(() => run.abort.abort(new AttemptAbort('timeout')), timeoutMs);
  void run.exited.then(() => run.abort.abort(new AttemptAbort('exit')));
  try {
    await readiness.waitUntilReady({
      url: probeUrl(context.url),
      signal,
      adopted: run.adopted,
      waitForLine: (pattern) => waitForLine(run, pattern, signal),
    });
    if (!run.exit) return { ok: true };
    signal.throwIfAborted();
    throw new AttemptAbort('exit');
  } catch (error) {
    const cause = signal.aborted && signal.reason instanceof AttemptAbort ? signal.reason.cause : undefined;
    if (cause === 'stopped') return { ok: false, cause, reason: 'stopped' };
    if (cause === 'exit' || run.exit) {
      const info = await run.exited;
      const what = info.error ? describeExit(info) : `${describeExit(info, context.engine)} before it was ready`;
      return { ok: false, cause: 'exit', reason: `${context.program} ${what}; last output:\n${run.tail}` };
    }
    if (cause === 'timeout') {
      await context.terminate(run);
      return {
        ok: false,
        cause: 'timeout',
        reason: `not ready within ${timeoutMs} ms (${readiness.description}); the process was killed; last output:\n${run.tail}`,
      };
    }
    await context.terminate(run);
    return { ok: false, cause: 'error', reason: `readiness probe failed: ${(error as Error).message}` };
  } finally {
    clearTimeout(timer);
  }
}
