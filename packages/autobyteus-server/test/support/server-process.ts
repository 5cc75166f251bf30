import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli', 'main.js');

export interface ServerProcess {
  url: string;
  home: string;
  child: ChildProcess;
  /** Everything the server printed (stdout and stderr). */
  output(): string;
  /** Resolves with the output once it contains `text`; see {@link CliProcess.waitForOutput}. */
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

/** A fresh AUTOBYTEUS_HOME with the given config.toml. */
export function tempHome(configToml = ''): string {
  const home = mkdtempSync(join(tmpdir(), 'autobyteus-home-'));
  writeFileSync(join(home, 'config.toml'), configToml);
  return home;
}

const OWN_SETTINGS =
  /^(AUTOBYTEUS_|LLAMACPP_|MLX_|OLLAMA_|LMSTUDIO_|HF_|LOG_|ALLOW_REMOTE$|LLM_HOST_MANAGEMENT$|PYPI_URL$)/;

/**
 * Environment for the child: this machine's own server and engine settings stay out, everything else
 * (PATH, CA certificates for TLS, proxies) is passed through.
 */
export function cleanEnv(home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!OWN_SETTINGS.test(key)) env[key] = value;
  return { ...env, HOME: home, AUTOBYTEUS_HOME: home, ...extra };
}

/** Runs the CLI to completion. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, cwd: cwd ?? env.AUTOBYTEUS_HOME });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A long-running CLI command (`serve`, `worker`) started by {@link startCliProcess}. */
export interface CliProcess {
  child: ChildProcess;
  /** What its output matched when it was ready. */
  ready: RegExpExecArray;
  /** Everything it printed (stdout and stderr). */
  output(): string;
  /**
   * Resolves with the output once it contains `text`, rejects with the output after `timeoutMs`.
   * Log lines (batched, on stdout) and the listening line (stderr) come over two pipes, so a line
   * logged before "listening" may still be on its way when the server is ready.
   */
  waitForOutput(text: string | RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM, SIGKILL after 5 s; resolves once it exited. */
  stop(): Promise<void>;
}

/**
 * Starts `autobyteus-server <args>` with the environment of {@link cleanEnv} and waits until its
 * output (stdout and stderr together) matches `ready`. Killed when it does not within
 * `startTimeoutMs`; rejects with its output when it exits first.
 */
export async function startCliProcess(
  home: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  ready: RegExp,
  startTimeoutMs = 20_000,
): Promise<CliProcess> {
  const child = spawn(process.execPath, [CLI, ...args], { env: cleanEnv(home, env), cwd: home });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d;
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d;
  });
  const match = await new Promise<RegExpExecArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Never leave a half-started process behind when the test gives up on it.
      child.kill('SIGKILL');
      reject(new Error(`${args[0]} did not start within ${startTimeoutMs} ms:\n${output}`));
    }, startTimeoutMs);
    const check = () => {
      const found = ready.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found);
      }
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args[0]} exited with ${code}:\n${output}`));
    });
  });
  const waitForOutput = (text: string | RegExp, timeoutMs = 10_000) =>
    new Promise<string>((resolve, reject) => {
      const found = () => (typeof text === 'string' ? output.includes(text) : text.test(output));
      if (found()) return resolve(output);
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${args[0]} printed no ${String(text)} within ${timeoutMs} ms:\n${output}`));
      }, timeoutMs);
      const check = () => {
        if (!found()) return;
        done();
        resolve(output);
      };
      const done = () => {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        child.stderr?.off('data', check);
      };
      child.stdout?.on('data', check);
      child.stderr?.on('data', check);
    });
  return {
    child,
    ready: match,
    output: () => output,
    waitForOutput,
    stop: async () => {
      // 'close' (its pipes drained), not 'exit': output written just before exiting can arrive after
      // 'exit'. Bounded, since a process it started may hold a copy of the pipes.
      const closed = new Promise((resolve) => {
        if (child.stdout?.closed !== false && child.stderr?.closed !== false) resolve(undefined);
        child.once('close', resolve);
      });
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await gone;
        clearTimeout(timer);
      }
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
    },
  };
}

/** Starts `autobyteus-server serve` as a child process and waits for its listening line. */
export async function startServerProcess(
  home: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
  command = 'serve',
  startTimeoutMs = 20_000,
): Promise<ServerProcess> {
  const started = await startCliProcess(
    home,
    [command, ...args],
    env,
    /listening on (http:\/\/\S+) /,
    startTimeoutMs,
  ).catch((error: Error) => {
    throw new Error(error.message.replace(new RegExp(`^${command} `), 'server '));
  });
  return {
    url: started.ready[1] as string,
    home,
    child: started.child,
    output: started.output,
    waitForOutput: started.waitForOutput,
    stop: started.stop,
  };
}
