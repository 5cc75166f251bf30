import { type ChildProcess, spawn } from 'node:child_process';
import { sleep } from '../../io/sleep.js';
import { type OutputSinks, pipeOutput } from './engine-output.js';
import { createRun, type Run } from './engine-run.js';

/** What to spawn and where its output goes. */
export interface SpawnRequest extends OutputSinks {
  /** argv, program first. */
  command: readonly string[];
  cwd?: string;
  /** Added to the server's environment. */
  env?: Record<string, string>;
}

/** How long an exited process's pipes get to deliver their last lines (for the failure reason). */
const PIPE_DRAIN_MS = 250;

/**
 * Spawns the command as its own process group with its output piped into `request`'s sinks. A spawn
 * that fails asynchronously (ENOENT, EACCES) gives a run with pid 0 that exits with the error; one
 * that throws at once is rethrown.
 */
export function spawnEngine(request: SpawnRequest): Run {
  const [program, ...args] = request.command as [string, ...string[]];
  const child: ChildProcess = spawn(program, args, {
    cwd: request.cwd,
    env: { ...process.env, ...request.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Own process group: a Ctrl-C in the server's terminal does not hit the engine behind the
    // server's back, and stop() can signal the whole group.
    detached: true,
    windowsHide: true,
  });
  const run = createRun(child.pid ?? 0, false);
  run.child = child;
  child.once('error', (error) => run.markExited({ code: null, signal: null, error }));
  // Spawn failed (ENOENT, EACCES): the 'error' event carries the reason.
  if (child.pid === undefined) return run;
  const closed = Promise.all([
    pipeOutput(run, child.stdout, 'stdout', request),
    pipeOutput(run, child.stderr, 'stderr', request),
  ]);
  child.once('exit', (code, signal) => {
    // Give the pipes a moment to deliver the last lines, but do not wait on a grandchild that
    // inherited them.
    void Promise.race([closed, sleep(PIPE_DRAIN_MS)]).then(() => run.markExited({ code, signal }));
  });
  return run;
}

/** The argv for the log, with the values of key options hidden. */
export function loggableArgv(argv: readonly string[]): string[] {
  return argv.map((arg, i) => {
    if (/^--api-key=/.test(arg)) return '--api-key=[redacted]';
    return i > 0 && argv[i - 1] === '--api-key' ? '[redacted]' : arg;
  });
}
