import type { Logger } from 'pino';
import { isProcessAlive, signalProcessTree } from '../../io/process-liveness.js';
import { sleep } from '../../io/sleep.js';
import { createRun, type Run } from './engine-run.js';

/** How long to wait after SIGKILL before giving up on seeing the process go. */
const KILL_WAIT_MS = 10_000;
/** Liveness poll of an adopted process while it shuts down. */
const ADOPTED_EXIT_POLL_MS = 25;

/** SIGTERM to the run's process group, SIGKILL after `graceMs`; resolves once the process is gone. */
export async function terminateRun(run: Run, graceMs: number, log: Logger): Promise<void> {
  if (run.exit) return;
  if (run.pid <= 0) {
    await run.exited;
    return;
  }
  signalProcessTree(run.pid, 'SIGTERM');
  if (!(await exitedWithin(run, graceMs))) {
    log.warn({ enginePid: run.pid, graceMs }, 'engine ignored SIGTERM; sending SIGKILL');
    signalProcessTree(run.pid, 'SIGKILL');
    await exitedWithin(run, KILL_WAIT_MS);
  }
}

/** True when `run` ends within `ms`; adopted processes (no exit event) are polled. */
async function exitedWithin(run: Run, ms: number): Promise<boolean> {
  if (run.adopted) {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (!isProcessAlive(run.pid)) {
        run.markExited({ code: null, signal: 'SIGTERM' });
        return true;
      }
      await sleep(ADOPTED_EXIT_POLL_MS);
    }
    return !isProcessAlive(run.pid);
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const result = await Promise.race([run.exited.then(() => true as const), timedOut]);
  clearTimeout(timer);
  return result;
}

/**
 * Stops process `pid` that this process did not spawn (found through a PID file) the way an adopted
 * engine is stopped: SIGTERM to its group, SIGKILL after `graceMs`.
 */
export function terminatePid(pid: number, graceMs: number, log: Logger): Promise<void> {
  return terminateRun(createRun(pid, true), graceMs, log);
}
