import type { ChildProcess } from 'node:child_process';
import { OutputTail } from './output-tail.js';

/** How a process ended. */
export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when it could not even be started (ENOENT, EACCES). */
  error?: Error;
}

/** One engine process, spawned or adopted, with its output state. */
export interface Run {
  pid: number;
  adopted: boolean;
  child?: ChildProcess;
  /** Last redacted lines, for failure reasons. */
  tail: OutputTail;
  /** Raw (unredacted) recent lines, for readiness probes waiting on a line. */
  recent: string[];
  lineWaiters: Set<(line: string) => void>;
  /** Aborts the start attempt running against this process. */
  abort: AbortController;
  exit?: ExitInfo;
  exited: Promise<ExitInfo>;
  /** Records the exit once (later calls are ignored) and resolves {@link exited}. */
  markExited(info: ExitInfo): void;
  /** Liveness poll of an adopted process (no exit event of its own). */
  poll?: NodeJS.Timeout;
}

/** Raw lines kept for readiness probes that wait on output. */
const RECENT_LINES = 200;
/** Lines quoted in failure reasons. */
const TAIL_LINES = 20;

/** A fresh run of process `pid`, not yet exited. */
export function createRun(pid: number, adopted: boolean): Run {
  let resolveExited!: (info: ExitInfo) => void;
  const exited = new Promise<ExitInfo>((resolve) => {
    resolveExited = resolve;
  });
  const run: Run = {
    pid,
    adopted,
    tail: new OutputTail(TAIL_LINES),
    recent: [],
    lineWaiters: new Set(),
    abort: new AbortController(),
    exited,
    markExited: (info) => {
      if (run.exit) return;
      run.exit = info;
      if (run.poll) clearInterval(run.poll);
      resolveExited(info);
    },
  };
  return run;
}

/** Keeps a raw line for {@link waitForLine} and hands it to the waiters. */
export function recordRawLine(run: Run, text: string): void {
  run.recent.push(text);
  if (run.recent.length > RECENT_LINES) run.recent.shift();
  for (const waiter of run.lineWaiters) waiter(text);
}

/**
 * How a run ended, in words ("exited with code 1", "was killed by SIGKILL", "could not be started: ...");
 * `engine` names the engine in what-to-do hints.
 */
export function describeExit(info: ExitInfo, engine = '<engine>'): string {
  if (info.error) return `could not be started: ${info.error.message}`;
  if (info.signal === 'SIGILL') {
    // Seen with native builds on VMs that report CPU features (AMX) they do not let programs use.
    return (
      'was killed by SIGILL (illegal instruction: it uses CPU instructions this machine cannot run; ' +
      `build it on this machine: autobyteus-server engines install ${engine} --force)`
    );
  }
  if (info.signal) return `was killed by ${info.signal}`;
  return info.code === null ? 'exited' : `exited with code ${info.code}`;
}

/** Resolves with the first recent or future raw line of `run` matching `pattern`; rejects on abort. */
export function waitForLine(run: Run, pattern: RegExp, signal: AbortSignal): Promise<string> {
  const seen = run.recent.find((line) => pattern.test(line));
  if (seen !== undefined) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      run.lineWaiters.delete(waiter);
      reject(signal.reason);
    };
    const waiter = (line: string) => {
      if (!pattern.test(line)) return;
      run.lineWaiters.delete(waiter);
      signal.removeEventListener('abort', onAbort);
      resolve(line);
    };
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    run.lineWaiters.add(waiter);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
