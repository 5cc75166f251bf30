import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { portOf, probeHost, probeUrl } from './engine-address.js';
import type {
  EngineName,
  EngineOutputLine,
  EngineState,
  EngineStatus,
  OutputListener,
  StateChangeListener,
} from './engine-status.js';
import { EngineWatchdog } from './engine-watchdog.js';
import { cleanLine, type EngineLogLevel, parseRecordHeader } from './log-record-format.js';
import { OutputTail } from './output-tail.js';
import { PidFile } from './pid-file.js';
import { isPortOpen } from './port-probe.js';
import { isProcessAlive, processCommandLine, signalProcessTree } from './process-liveness.js';
import { PromptRedactor } from './prompt-redactor.js';
import type { ReadinessProbe } from './readiness-probe.js';
import { DEFAULT_RESTART_POLICY, type RestartPolicy, restartDelayMs } from './restart-policy.js';

/** Collaborators and settings of a {@link ManagedLocalEngine}. */
export interface ManagedLocalEngineOptions {
  name: EngineName;
  /** argv of the engine, program first (see `launch-command.ts`). */
  command: readonly string[];
  /** The engine's base URL; its port is the one the engine listens on. */
  hostUrl: string;
  readiness: ReadinessProbe;
  /** Server logger; engine output goes to its child `{ engine: name }`. */
  logger: Logger;
  /** Folder of the PID file `<name>-<port>.pid`, e.g. `$AUTOBYTEUS_HOME/run`. */
  stateDir: string;
  /** Added to the server's environment for the engine. */
  env?: Record<string, string>;
  /** Working directory of the engine (default: the server's). */
  cwd?: string;
  restart?: Partial<RestartPolicy>;
  /** Time between SIGTERM and SIGKILL when stopping (default 5000). */
  stopGraceMs?: number;
  /** Bound for one start, from launch to ready (default: the readiness probe's). */
  startTimeoutMs?: number;
  /** Log prompt text found in engine output instead of redacting it (`LOG_PROMPTS`). */
  logPrompts?: boolean;
  /** Kill the engine when the server dies without stopping it (default true); see {@link EngineWatchdog}. */
  watchdog?: boolean;
  /** How often an adopted engine (not our child, so no exit event) is checked for life (default 1000). */
  adoptedPollMs?: number;
}

/** How a process ended. */
interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when it could not even be started (ENOENT, EACCES). */
  error?: Error;
}

/** One engine process, spawned or adopted, with its output state. */
interface Run {
  pid: number;
  adopted: boolean;
  child?: ChildProcess;
  tail: OutputTail;
  /** Raw (unredacted) recent lines, for readiness probes waiting on a line. */
  recent: string[];
  lineWaiters: Set<(line: string) => void>;
  abort: AbortController;
  exit?: ExitInfo;
  exited: Promise<ExitInfo>;
  markExited(info: ExitInfo): void;
  poll?: NodeJS.Timeout;
}

type AttemptResult = { ok: true } | { ok: false; cause: 'exit' | 'timeout' | 'stopped' | 'error'; reason: string };

/** Abort reasons of a start attempt. */
class AttemptAbort {
  constructor(readonly cause: 'exit' | 'timeout' | 'stopped') {}
}

const RECENT_LINES = 200;

function describeExit(info: ExitInfo): string {
  if (info.error) return `could not be started: ${info.error.message}`;
  if (info.signal) return `was killed by ${info.signal}`;
  return info.code === null ? 'exited' : `exited with code ${info.code}`;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Runs one local engine (llama-server, mlx_lm.server) as a supervised child process:
 * `stopped → starting → ready → stopping → stopped`, or `failed` with a reason.
 *
 * - **Start** looks for the same engine already running first: a PID file whose process is alive and
 *   whose port answers (and, on Linux, whose command line is ours) is adopted instead of starting a
 *   second copy; a port taken by anything else is an error. Otherwise the command is spawned as its own
 *   process group, the PID file written, and the readiness probe decides when it is `ready`. A start
 *   that exits or times out (the process is then killed) ends `failed` with the last 20 output lines;
 *   the first start is not retried, so configuration errors surface at once.
 * - **Crashes** while `ready` are restarted with exponential back-off ({@link RestartPolicy}); after
 *   `maxRestarts` in a row the engine is `failed` ("gave up after N restarts: ..."). A run that stayed
 *   ready for `resetAfterMs` clears the count. `restarts` in the status counts all restarts since
 *   `start()`.
 * - **Stop** sends SIGTERM to the process group, SIGKILL after `stopGraceMs`, and removes the PID file.
 * - **Server death** without a stop (SIGKILL included): the {@link EngineWatchdog} kills the engine.
 *   If the watchdog is off or was killed too, the engine keeps running and the next `start()` adopts it
 *   through the PID file.
 * - **Output** is read line by line into the logger (child `{ engine: name }`, level taken from the
 *   engine's own record header), with prompt text redacted ({@link PromptRedactor}) unless `logPrompts`.
 */
export class ManagedLocalEngine {
  /** Which engine this is. */
  readonly name: EngineName;
  /** Port from the host URL. */
  readonly port: number;
  /** The host URL clients use. */
  readonly url: string;

  private readonly options: ManagedLocalEngineOptions;
  private readonly log: Logger;
  private readonly policy: RestartPolicy;
  private readonly pidFile: PidFile;
  private readonly watchdog: EngineWatchdog | undefined;
  private readonly stateListeners = new Set<StateChangeListener>();
  private readonly outputListeners = new Set<OutputListener>();

  private state: EngineState = 'stopped';
  private run: Run | undefined;
  private restarts = 0;
  private restartsInARow = 0;
  private lastError: string | undefined;
  private startedAt: Date | undefined;
  private readyAt: Date | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  /** Bumped by start() and stop(): async work of an older epoch stands down. */
  private epoch = 0;

  constructor(options: ManagedLocalEngineOptions) {
    if (options.command.length === 0) throw new Error(`${options.name}: empty engine command`);
    this.options = options;
    this.name = options.name;
    this.url = options.hostUrl;
    this.port = portOf(options.hostUrl);
    this.log = options.logger.child({ engine: options.name });
    this.policy = { ...DEFAULT_RESTART_POLICY, ...options.restart };
    this.pidFile = new PidFile(options.stateDir, options.name, this.port);
    this.watchdog = options.watchdog === false ? undefined : new EngineWatchdog(this.stopGraceMs);
  }

  private get stopGraceMs(): number {
    return this.options.stopGraceMs ?? 5_000;
  }

  /** Path of this engine's PID file. */
  get pidFilePath(): string {
    return this.pidFile.path;
  }

  /** A snapshot of the engine's state. */
  status(): EngineStatus {
    return {
      name: this.name,
      state: this.state,
      ...(this.run && this.state !== 'stopped' && this.state !== 'failed' ? { pid: this.run.pid } : {}),
      port: this.port,
      url: this.url,
      restarts: this.restarts,
      adopted: this.run?.adopted ?? false,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.startedAt ? { startedAt: this.startedAt.toISOString() } : {}),
      ...(this.readyAt ? { readyAt: this.readyAt.toISOString() } : {}),
    };
  }

  /** Calls `listener` on every state change; returns a function that unsubscribes it. */
  onStateChange(listener: StateChangeListener): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /** Calls `listener` for every line the engine prints (redacted as logged); returns an unsubscribe function. */
  onOutput(listener: OutputListener): () => void {
    this.outputListeners.add(listener);
    return () => this.outputListeners.delete(listener);
  }

  /**
   * Starts the engine (or adopts a running one) and resolves with its status once `ready`. Rejects when
   * it ends `failed` (reason in the error and in `status().lastError`) or is stopped meanwhile. Calling
   * it while starting joins that start; while ready, resolves at once.
   */
  async start(): Promise<EngineStatus> {
    if (this.stopping) await this.stopping;
    if (this.state === 'ready') return this.status();
    const settled = this.whenSettled();
    if (this.state !== 'starting') {
      const epoch = ++this.epoch;
      this.restarts = 0;
      this.restartsInARow = 0;
      this.lastError = undefined;
      void this.firstStart(epoch);
    }
    return settled;
  }

  /**
   * Stops the engine: SIGTERM to its process group, SIGKILL after `stopGraceMs`, PID file removed,
   * `stopping → stopped`. Also cancels a pending start or restart. Adopted engines are stopped too.
   */
  stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = this.doStop().finally(() => {
        this.stopping = undefined;
      });
    }
    return this.stopping;
  }

  /**
   * Last resort, synchronous: SIGTERM to the engine without waiting, for a process `exit` handler where
   * nothing asynchronous runs any more. The watchdog escalates to SIGKILL after the grace period; the
   * PID file stays, so an engine that survives anyway is adopted by the next start (a dead one's stale
   * file is removed then).
   */
  killNow(): void {
    const run = this.run;
    if (!run || run.exit || run.pid <= 0) return;
    signalProcessTree(run.pid, 'SIGTERM');
  }

  // ---- start -----------------------------------------------------------------------------------

  private whenSettled(): Promise<EngineStatus> {
    return new Promise((resolve, reject) => {
      const off = this.onStateChange((status) => {
        if (status.state === 'ready') {
          off();
          resolve(status);
        } else if (status.state === 'failed') {
          off();
          reject(new Error(`${this.name} engine failed: ${status.lastError ?? 'unknown reason'}`));
        } else if (status.state === 'stopped' || status.state === 'stopping') {
          off();
          reject(new Error(`${this.name} engine was stopped before it became ready`));
        }
      });
    });
  }

  private async firstStart(epoch: number): Promise<void> {
    this.startedAt = new Date();
    this.readyAt = undefined;
    this.setState('starting');
    let result: AttemptResult;
    try {
      const existing = await this.inspectExisting();
      if (epoch !== this.epoch) return;
      if (existing.kind === 'busy') {
        this.setFailed(existing.message);
        return;
      }
      result = existing.kind === 'adopt' ? await this.adoptAndWait(existing.pid) : await this.launchAndWait();
    } catch (error) {
      result = { ok: false, cause: 'error', reason: (error as Error).message };
    }
    if (epoch !== this.epoch || (!result.ok && result.cause === 'stopped')) return;
    if (result.ok) this.setReady();
    else this.setFailed(result.reason);
  }

  /** What is already on our port: our engine to adopt, a stranger, or nothing. */
  private async inspectExisting(): Promise<
    { kind: 'none' } | { kind: 'adopt'; pid: number } | { kind: 'busy'; message: string }
  > {
    const open = await isPortOpen(probeHost(this.url), this.port);
    const pid = this.pidFile.read();
    if (pid !== undefined) {
      if (!isProcessAlive(pid)) {
        this.log.info({ stalePid: pid, pidFile: this.pidFile.path }, 'removing stale PID file (process gone)');
        this.pidFile.remove(pid);
      } else {
        const commandLine = processCommandLine(pid);
        const ours = commandLine === undefined || sameArgv(commandLine, this.options.command);
        if (ours && (open || commandLine !== undefined)) return { kind: 'adopt', pid };
        if (!ours && open) {
          return {
            kind: 'busy',
            message:
              `port ${this.port} is in use by pid ${pid} (${commandLine?.join(' ')}), recorded in ${this.pidFile.path} ` +
              `but running a different command than the configured engine; stop it or choose another port`,
          };
        }
        // Alive but not ours (pid reused) or, where command lines are unknown, not listening.
        this.log.info(
          { stalePid: pid, pidFile: this.pidFile.path },
          'removing stale PID file (pid belongs to another process)',
        );
        this.pidFile.remove(pid);
      }
    }
    if (open) {
      const hostsKey = this.name === 'mlx' ? 'MLX_HOSTS' : 'LLAMACPP_HOSTS';
      return {
        kind: 'busy',
        message: `port ${this.port} is already in use by another process; set ${hostsKey} to use it as an external host or choose another port`,
      };
    }
    return { kind: 'none' };
  }

  private async launchAndWait(): Promise<AttemptResult> {
    const run = this.launch();
    if (!run) {
      return { ok: false, cause: 'error', reason: `${this.options.command[0]} could not be started` };
    }
    return this.waitUntilReady(run);
  }

  private async adoptAndWait(pid: number): Promise<AttemptResult> {
    const run = this.newRun(pid, true);
    this.run = run;
    this.watchdog?.watch(pid);
    const pollMs = this.options.adoptedPollMs ?? 1_000;
    run.poll = setInterval(() => {
      if (!isProcessAlive(pid)) run.markExited({ code: null, signal: null });
    }, pollMs);
    run.poll.unref();
    run.exited.then((info) => this.onRunExit(run, info));
    this.log.info(
      { enginePid: pid, port: this.port },
      'adopting an engine that is already running (PID file and open port)',
    );
    return this.waitUntilReady(run);
  }

  /** Spawns the command as a new process group and wires its output; undefined when spawn fails at once. */
  private launch(): Run | undefined {
    const [program, ...args] = this.options.command as [string, ...string[]];
    let child: ChildProcess;
    try {
      child = spawn(program, args, {
        cwd: this.options.cwd,
        env: { ...process.env, ...this.options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
        // Own process group: a Ctrl-C in the server's terminal does not hit the engine behind the
        // server's back, and stop() can signal the whole group.
        detached: true,
        windowsHide: true,
      });
    } catch (error) {
      this.lastError = (error as Error).message;
      return undefined;
    }
    const run = this.newRun(child.pid ?? 0, false);
    run.child = child;
    this.run = run;
    child.once('error', (error) => run.markExited({ code: null, signal: null, error }));
    if (child.pid === undefined) {
      // Spawn failed (ENOENT, EACCES); the 'error' event carries the reason.
      run.exited.then((info) => this.onRunExit(run, info));
      return run;
    }
    const closed = Promise.all([
      this.readLines(run, child.stdout, 'stdout'),
      this.readLines(run, child.stderr, 'stderr'),
    ]);
    child.once('exit', (code, signal) => {
      // Give the pipes a moment to deliver the last lines (for the failure reason), but do not wait on
      // a grandchild that inherited them.
      void Promise.race([closed, delay(250)]).then(() => run.markExited({ code, signal }));
    });
    run.exited.then((info) => this.onRunExit(run, info));
    this.watchdog?.watch(child.pid);
    try {
      this.pidFile.write(child.pid);
    } catch (error) {
      // The engine runs all the same; only adoption by a later start is lost.
      this.log.warn({ err: error, pidFile: this.pidFile.path }, 'could not write the PID file');
    }
    this.log.info({ enginePid: child.pid, command: loggableArgv(this.options.command) }, 'engine launched');
    return run;
  }

  private newRun(pid: number, adopted: boolean): Run {
    let markExited!: (info: ExitInfo) => void;
    const exited = new Promise<ExitInfo>((resolve) => {
      markExited = resolve;
    });
    const run: Run = {
      pid,
      adopted,
      tail: new OutputTail(20),
      recent: [],
      lineWaiters: new Set(),
      abort: new AbortController(),
      exited,
      markExited: (info) => {
        if (run.exit) return;
        run.exit = info;
        if (run.poll) clearInterval(run.poll);
        markExited(info);
      },
    };
    return run;
  }

  private readLines(run: Run, stream: Readable | null, name: 'stdout' | 'stderr'): Promise<void> {
    if (!stream) return Promise.resolve();
    const redactor = new PromptRedactor(this.options.logPrompts ?? false);
    let level: EngineLogLevel = 'info';
    const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    lines.on('line', (raw) => {
      const text = cleanLine(raw);
      const header = parseRecordHeader(text);
      if (header) level = header.level;
      const safe = redactor.redact(text);
      this.log[level]({ stream: name }, safe);
      run.tail.push(safe);
      run.recent.push(text);
      if (run.recent.length > RECENT_LINES) run.recent.shift();
      for (const waiter of run.lineWaiters) waiter(text);
      const line: EngineOutputLine = { stream: name, text: safe, at: Date.now() };
      for (const listener of this.outputListeners) {
        try {
          listener(line);
        } catch (error) {
          this.log.warn({ err: error }, 'output listener threw');
        }
      }
    });
    return new Promise((resolve) => lines.once('close', resolve));
  }

  /** Runs the readiness probe against `run`, bounded by the start timeout, the process's exit and stop(). */
  private async waitUntilReady(run: Run): Promise<AttemptResult> {
    const timeoutMs = this.options.startTimeoutMs ?? this.options.readiness.timeoutMs;
    const signal = run.abort.signal;
    const timer = setTimeout(() => run.abort.abort(new AttemptAbort('timeout')), timeoutMs);
    void run.exited.then(() => run.abort.abort(new AttemptAbort('exit')));
    try {
      await this.options.readiness.waitUntilReady({
        url: probeUrl(this.url),
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
        const what = info.error ? describeExit(info) : `${describeExit(info)} before it was ready`;
        return {
          ok: false,
          cause: 'exit',
          reason: `${this.options.command[0]} ${what}; last output:\n${run.tail}`,
        };
      }
      if (cause === 'timeout') {
        await this.terminate(run);
        return {
          ok: false,
          cause: 'timeout',
          reason: `not ready within ${timeoutMs} ms (${this.options.readiness.description}); the process was killed; last output:\n${run.tail}`,
        };
      }
      await this.terminate(run);
      return { ok: false, cause: 'error', reason: `readiness probe failed: ${(error as Error).message}` };
    } finally {
      clearTimeout(timer);
    }
  }

  private setReady(): void {
    this.readyAt = new Date();
    this.setState('ready');
    this.log.info(
      { enginePid: this.run?.pid, port: this.port, adopted: this.run?.adopted ?? false, restarts: this.restarts },
      'engine ready',
    );
  }

  // ---- crashes and restarts --------------------------------------------------------------------

  private onRunExit(run: Run, info: ExitInfo): void {
    this.watchdog?.release();
    if (!run.adopted && run.pid > 0) {
      // The leader is gone; take down any helper it left in its group (a wrapper's child, say).
      signalProcessTree(run.pid, 'SIGKILL');
    }
    this.pidFile.remove(run.pid);
    if (run !== this.run || this.state !== 'ready' || this.stopping) return;
    const reason = `${this.options.command[0]} ${describeExit(info)}; last output:\n${run.tail}`;
    this.log.warn({ enginePid: run.pid, code: info.code, signal: info.signal }, 'engine exited unexpectedly');
    this.onCrash(reason);
  }

  private onCrash(reason: string): void {
    this.lastError = reason;
    this.run = undefined;
    if (this.readyAt && Date.now() - this.readyAt.getTime() >= this.policy.resetAfterMs) this.restartsInARow = 0;
    this.readyAt = undefined;
    if (this.restartsInARow >= this.policy.maxRestarts) {
      this.setFailed(`gave up after ${this.restartsInARow} restarts: ${reason}`);
      return;
    }
    this.restartsInARow++;
    this.restarts++;
    const wait = restartDelayMs(this.policy, this.restartsInARow);
    this.log.warn({ attempt: this.restartsInARow, delayMs: wait }, 'restarting engine');
    this.setState('starting');
    const epoch = this.epoch;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.restartAttempt(epoch);
    }, wait);
  }

  private async restartAttempt(epoch: number): Promise<void> {
    if (epoch !== this.epoch) return;
    this.startedAt = new Date();
    let result: AttemptResult;
    try {
      result = await this.launchAndWait();
    } catch (error) {
      result = { ok: false, cause: 'error', reason: (error as Error).message };
    }
    if (epoch !== this.epoch || (!result.ok && result.cause === 'stopped')) return;
    if (result.ok) this.setReady();
    else this.onCrash(result.reason);
  }

  // ---- stop ------------------------------------------------------------------------------------

  private async doStop(): Promise<void> {
    this.epoch++;
    if (this.restartTimer) {
      clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
    }
    const run = this.run;
    if (!run || run.exit) {
      this.run = undefined;
      this.watchdog?.close();
      if (run) this.pidFile.remove(run.pid);
      if (this.state !== 'stopped') this.setState('stopped');
      return;
    }
    this.setState('stopping');
    run.abort.abort(new AttemptAbort('stopped'));
    await this.terminate(run);
    this.pidFile.remove(run.pid);
    this.run = undefined;
    this.watchdog?.close();
    this.log.info({ enginePid: run.pid }, 'engine stopped');
    this.setState('stopped');
  }

  /** SIGTERM to the process group, SIGKILL after the grace period; resolves once the process is gone. */
  private async terminate(run: Run): Promise<void> {
    if (run.exit) return;
    if (run.pid <= 0) {
      await run.exited;
      return;
    }
    signalProcessTree(run.pid, 'SIGTERM');
    if (!(await this.exitedWithin(run, this.stopGraceMs))) {
      this.log.warn({ enginePid: run.pid, graceMs: this.stopGraceMs }, 'engine ignored SIGTERM; sending SIGKILL');
      signalProcessTree(run.pid, 'SIGKILL');
      await this.exitedWithin(run, 10_000);
    }
  }

  /** True when `run` ends within `ms`; for adopted processes (no exit event) polls every 25 ms. */
  private async exitedWithin(run: Run, ms: number): Promise<boolean> {
    if (run.adopted) {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) {
        if (!isProcessAlive(run.pid)) {
          run.markExited({ code: null, signal: 'SIGTERM' });
          return true;
        }
        await delay(25);
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

  // ---- state -----------------------------------------------------------------------------------

  private setFailed(reason: string): void {
    this.lastError = reason;
    const run = this.run;
    if (run && !run.exit) this.killNow();
    this.watchdog?.close();
    this.log.error({ reason }, 'engine failed');
    this.setState('failed');
  }

  /** Moves to `next` and tells the listeners; staying in the same state (another restart) is not a change. */
  private setState(next: EngineState): void {
    const previous = this.state;
    if (previous === next) return;
    this.state = next;
    this.log.debug({ from: previous, to: next }, 'engine state');
    const status = this.status();
    for (const listener of this.stateListeners) {
      try {
        listener(status, previous);
      } catch (error) {
        this.log.warn({ err: error }, 'state listener threw');
      }
    }
  }
}

/** The argv for the log, with the values of key options hidden. */
function loggableArgv(argv: readonly string[]): string[] {
  return argv.map((arg, i) => {
    if (/^--api-key=/.test(arg)) return '--api-key=[redacted]';
    return i > 0 && argv[i - 1] === '--api-key' ? '[redacted]' : arg;
  });
}

function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((arg, i) => arg === b[i]);
}

/** Resolves with the first recent or future raw line of `run` matching `pattern`; rejects on abort. */
function waitForLine(run: Run, pattern: RegExp, signal: AbortSignal): Promise<string> {
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
