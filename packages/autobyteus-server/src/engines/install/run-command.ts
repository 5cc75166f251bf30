import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';

/** What a finished command left behind. Output is kept only up to a bound (the tail survives). */
export interface CommandResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunCommandOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the command (SIGKILL) after this long; unset = no limit. */
  timeoutMs?: number;
  /** Called with each complete output line as it arrives (both streams). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Largest amount of each stream kept in the result; the tail is kept (default 256 KiB). */
  maxCapture?: number;
  signal?: AbortSignal;
}

/** The program could not be started at all (not installed, not executable). */
export class CommandNotFoundError extends Error {
  constructor(
    readonly command: string,
    cause: unknown,
  ) {
    super(`${command} could not be started: ${(cause as Error).message}`, { cause });
    this.name = 'CommandNotFoundError';
  }
}

/**
 * The folder a command was to run in does not exist. spawn reports this as ENOENT, exactly like a
 * missing program, so it is told apart here: "npm is not on PATH" when npm is there misleads.
 */
export class WorkingDirectoryMissingError extends Error {
  constructor(
    readonly command: string,
    readonly cwd: string,
    cause: unknown,
  ) {
    super(`${command} could not be started: its working folder ${cwd} does not exist`, { cause });
    this.name = 'WorkingDirectoryMissingError';
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Runs a program without a shell (arguments are never re-parsed) and resolves when it exits,
 * whatever the exit code: callers decide what a non-zero code means.
 */
export function runCommand(command: string, args: readonly string[], options: RunCommandOptions = {}) {
  const maxCapture = options.maxCapture ?? 256 * 1024;
  return new Promise<CommandResult>((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const captured = { stdout: '', stderr: '' };
    const partial = { stdout: '', stderr: '' };
    const collect = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      captured[stream] += text;
      // Keep the tail: the end of a failed build log is where the error is.
      if (captured[stream].length > maxCapture * 2) captured[stream] = captured[stream].slice(-maxCapture);
      if (options.onLine) {
        const lines = (partial[stream] + text).split(/\r?\n|\r/);
        partial[stream] = lines.pop() ?? '';
        for (const line of lines) options.onLine(line, stream);
      }
    };
    child.stdout.on('data', collect('stdout'));
    child.stderr.on('data', collect('stderr'));
    const timer =
      options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ENOENT' && options.cwd !== undefined && !isDirectory(options.cwd)) {
        reject(new WorkingDirectoryMissingError(command, options.cwd, error));
      } else if (error.code === 'ENOENT' || error.code === 'EACCES') reject(new CommandNotFoundError(command, error));
      else reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      for (const stream of ['stdout', 'stderr'] as const) {
        if (partial[stream] && options.onLine) options.onLine(partial[stream], stream);
      }
      resolve({
        code,
        signal,
        stdout: captured.stdout.slice(-maxCapture),
        stderr: captured.stderr.slice(-maxCapture),
      });
    });
  });
}

/** The last lines of a command's output, for error messages. */
export function outputTail(result: CommandResult, lines = 20): string {
  const text = `${result.stdout}\n${result.stderr}`.trim();
  return text.split('\n').slice(-lines).join('\n');
}
