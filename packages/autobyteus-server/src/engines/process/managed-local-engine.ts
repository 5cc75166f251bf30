import type { Logger } from 'pino';
import { signalProcessTree } from '../../io/process-liveness.js';
import type { EngineName } from '../specs/engine-name.js';
import { CrashBackoff } from './crash-backoff.js';
import { portOf, probeUrl } from './engine-address.js';
import { adoptRun, inspectPort } from './engine-adoption.js';
import { engineAcceptsKey, keyedLaunchEnv } from './engine-key.js';
import { describeExit, type ExitInfo, type Run } from './engine-run.js';
import { loggableArgv, spawnEngine } from './engine-spawn.js';
import { EngineStateMachine } from './engine-state-machine.js';
import {
  type EngineState,
  type EngineStatus,
  notifyListeners,
  type OutputListener,
  type StateChangeListener,
  whenSettled,
} from './engine-status.js';
import { terminatePid, terminateRun } from './engine-termination.js';
import { EngineWatchdog } from './engine-watchdog.js';
import type { ManagedLocalEngineOptions } from './managed-local-engine-options.js';
import { PidFile } from './pid-file.js';
import { DEFAULT_RESTART_POLICY } from './restart-policy.js';
import { AttemptAbort, type AttemptResult, awaitReadiness } from './start-attempt.js';

/**
 * Runs one local engine (llama-server, mlx_lm.server) as a supervised child process, through the
 * states and moves of `engine-state-machine.ts`: `stopped → starting → ready → stopping → stopped`,
 * or `failed` with a reason.
 *
 * - **Start** looks for the same engine already running first ({@link inspectPort}): ours is adopted
 *   instead of starting a second copy; a port taken by anything else is an error. Otherwise the
 *   command is spawned as its own process group ({@link spawnEngine}), the PID file written, and the
 *   readiness probe decides when it is `ready` ({@link awaitReadiness}). A start that exits or times
 *   out (the process is then killed) ends `failed` with the last 20 output lines; the first start is
 *   not retried, so configuration errors surface at once.
 * - **Crashes** while `ready` are restarted with exponential back-off ({@link CrashBackoff}); after
 *   `maxRestarts` in a row the engine is `failed` ("gave up after N restarts: ..."). `restarts` in the
 *   status counts all restarts since `start()`.
 * - **Stop** sends SIGTERM to the process group, SIGKILL after `stopGraceMs`, and removes the PID file.
 * - **Server death** without a stop (SIGKILL included): the {@link EngineWatchdog} kills the engine.
 *   If the watchdog is off or was killed too, the engine keeps running and the next `start()` adopts it
 *   through the PID file.
 * - **Key** (`apiKey` options): a fresh secret per launch, see `engine-key.ts`.
 * - **Output** is read line by line into the logger (child `{ engine: name }`, level taken from the
 *   engine's own record header), with prompt text redacted unless `logPrompts` (`engine-output.ts`).
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
  private readonly backoff: CrashBackoff;
  private readonly pidFile: PidFile;
  private readonly watchdog: EngineWatchdog | undefined;
  private readonly machine: EngineStateMachine;
  private readonly stateListeners = new Set<StateChangeListener>();
  private readonly outputListeners = new Set<OutputListener>();

  private run: Run | undefined;
  private key: string | undefined;
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
    this.backoff = new CrashBackoff({ ...DEFAULT_RESTART_POLICY, ...options.restart });
    this.pidFile = new PidFile(options.stateDir, options.name, this.port);
    this.watchdog = options.watchdog === false ? undefined : new EngineWatchdog(this.stopGraceMs);
    this.machine = new EngineStateMachine(options.name);
  }

  private get stopGraceMs(): number {
    return this.options.stopGraceMs ?? 5_000;
  }

  private get state(): EngineState {
    return this.machine.state;
  }

  /** The program's name (argv[0]) for failure reasons. */
  private get program(): string {
    return this.options.command[0] as string;
  }

  /** The key clients must send the running engine (`Authorization: Bearer`); new at every launch. */
  get apiKey(): string | undefined {
    return this.key;
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
      restarts: this.backoff.restarts,
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
    const settled = whenSettled(this.name, (listener) => this.onStateChange(listener));
    if (this.state !== 'starting') {
      const epoch = ++this.epoch;
      this.pidFile.clearStopRequest();
      this.backoff.reset();
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

  private async firstStart(epoch: number): Promise<void> {
    this.startedAt = new Date();
    this.readyAt = undefined;
    this.setState('starting');
    let result: AttemptResult;
    try {
      const occupant = await inspectPort({
        url: this.url,
        port: this.port,
        pidFile: this.pidFile,
        command: this.options.command,
        externalHostsKey: this.options.externalHostsKey,
        log: this.log,
      });
      if (epoch !== this.epoch) return;
      if (occupant.kind === 'busy') {
        this.setFailed(occupant.message);
        return;
      }
      result =
        occupant.kind === 'adopt' ? await this.adoptAndWait(occupant.pid, occupant.apiKey) : await this.launchAndWait();
    } catch (error) {
      result = { ok: false, cause: 'error', reason: (error as Error).message };
    }
    if (epoch !== this.epoch || (!result.ok && result.cause === 'stopped')) return;
    if (result.ok) this.setReady();
    else this.setFailed(result.reason);
  }

  private async launchAndWait(): Promise<AttemptResult> {
    const run = this.launch();
    if (!run) return { ok: false, cause: 'error', reason: `${this.program} could not be started` };
    return this.awaitReady(run);
  }

  private async adoptAndWait(pid: number, apiKey: string | undefined): Promise<AttemptResult> {
    const keyed = this.options.apiKey;
    if (keyed && !apiKey) {
      this.log.warn({ enginePid: pid }, 'running engine has no usable key recorded; restarting it instead of adopting');
      await terminatePid(pid, this.stopGraceMs, this.log);
      return this.launchAndWait();
    }
    const run = adoptRun(pid, this.options.adoptedPollMs ?? 1_000);
    this.run = run;
    this.watchdog?.watch(pid);
    run.exited.then((info) => this.onRunExit(run, info));
    this.log.info({ enginePid: pid, port: this.port }, 'adopting an engine already running (PID file and open port)');
    const result = await this.awaitReady(run);
    if (result.ok && keyed && apiKey && !(await engineAcceptsKey(probeUrl(this.url), keyed.checkPath, apiKey))) {
      this.log.warn({ enginePid: pid }, 'adopted engine refuses its recorded key; restarting it');
      await terminateRun(run, this.stopGraceMs, this.log);
      return this.launchAndWait();
    }
    if (result.ok) this.key = apiKey;
    return result;
  }

  /** Spawns the engine, watches it and records its PID; undefined when spawn throws at once. */
  private launch(): Run | undefined {
    let run: Run;
    const { env, apiKey } = keyedLaunchEnv(this.options.apiKey, this.options.env);
    try {
      run = spawnEngine({
        command: this.options.command,
        cwd: this.options.cwd,
        env,
        log: this.log,
        logPrompts: this.options.logPrompts ?? false,
        listeners: this.outputListeners,
      });
    } catch (error) {
      this.lastError = (error as Error).message;
      return undefined;
    }
    this.run = run;
    this.key = apiKey;
    run.exited.then((info) => this.onRunExit(run, info));
    if (run.pid <= 0) return run;
    this.watchdog?.watch(run.pid);
    try {
      this.pidFile.write(run.pid, apiKey);
    } catch (error) {
      // The engine runs all the same; only adoption by a later start is lost.
      this.log.warn({ err: error, pidFile: this.pidFile.path }, 'could not write the PID file');
    }
    this.log.info({ enginePid: run.pid, command: loggableArgv(this.options.command) }, 'engine launched');
    return run;
  }

  private awaitReady(run: Run): Promise<AttemptResult> {
    return awaitReadiness(run, {
      url: this.url,
      program: this.program,
      engine: this.name,
      readiness: this.options.readiness,
      timeoutMs: this.options.startTimeoutMs ?? this.options.readiness.timeoutMs,
      terminate: (target) => terminateRun(target, this.stopGraceMs, this.log),
    });
  }

  private setReady(): void {
    this.readyAt = new Date();
    this.setState('ready');
    this.log.info(
      {
        enginePid: this.run?.pid,
        port: this.port,
        adopted: this.run?.adopted ?? false,
        restarts: this.backoff.restarts,
      },
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
    if (this.pidFile.takeStopRequest()) {
      // `engines stop` from another process: a stop, not a crash.
      this.log.info({ enginePid: run.pid }, 'engine stopped on request (engines stop); not restarting');
      this.run = undefined;
      this.readyAt = undefined;
      this.setState('stopped');
      return;
    }
    const reason = `${this.program} ${describeExit(info, this.name)}; last output:\n${run.tail}`;
    this.log.warn({ enginePid: run.pid, code: info.code, signal: info.signal }, 'engine exited unexpectedly');
    this.onCrash(reason);
  }

  private onCrash(reason: string): void {
    this.lastError = reason;
    this.run = undefined;
    const readyForMs = this.readyAt ? Date.now() - this.readyAt.getTime() : undefined;
    this.readyAt = undefined;
    const decision = this.backoff.afterCrash(readyForMs);
    if (!decision.restart) {
      this.setFailed(`gave up after ${decision.inARow} restarts: ${reason}`);
      return;
    }
    this.log.warn({ attempt: decision.attempt, delayMs: decision.delayMs }, 'restarting engine');
    // A failed restart crashes again while already `starting`: the next attempt is no state change.
    if (this.state !== 'starting') this.setState('starting');
    const epoch = this.epoch;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      void this.restartAttempt(epoch);
    }, decision.delayMs);
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
    await terminateRun(run, this.stopGraceMs, this.log);
    this.pidFile.remove(run.pid);
    this.run = undefined;
    this.watchdog?.close();
    this.log.info({ enginePid: run.pid }, 'engine stopped');
    this.setState('stopped');
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

  /** Moves to `next` through the transition table (which throws on an illegal move) and tells the listeners. */
  private setState(next: EngineState): void {
    const previous = this.machine.transition(next);
    this.log.debug({ from: previous, to: next }, 'engine state');
    notifyListeners(this.stateListeners, this.status(), previous, this.log);
  }
}
