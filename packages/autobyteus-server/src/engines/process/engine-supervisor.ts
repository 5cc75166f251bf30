import type { EngineStatus } from './engine-status.js';
import type { ManagedLocalEngine } from './managed-local-engine.js';

/** Options of {@link EngineSupervisor.installExitHandlers}. */
export interface ExitHandlerOptions {
  /** Signals that stop every engine (default SIGINT, SIGTERM, SIGHUP). */
  signals?: NodeJS.Signals[];
  /**
   * Exit the process (code 128 + signal number) once the engines are stopped (default true). Set it to
   * false when the server has its own signal handling that exits; it should then `await stopAll()`.
   */
  exitAfterSignal?: boolean;
}

const SIGNAL_NUMBERS: Partial<Record<NodeJS.Signals, number>> = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 };

/**
 * Holds the server's managed engines and stops them together. Installs no process handlers by itself:
 * the server's bootstrap calls {@link installExitHandlers} once.
 */
export class EngineSupervisor {
  private readonly engines = new Map<string, ManagedLocalEngine>();
  private uninstall: (() => void) | undefined;

  /** Registers `engine` (one per name and port). */
  add(engine: ManagedLocalEngine): ManagedLocalEngine {
    const key = `${engine.name}-${engine.port}`;
    if (this.engines.has(key)) throw new Error(`engine ${key} is already registered`);
    this.engines.set(key, engine);
    return engine;
  }

  /** Forgets `engine` (after it was stopped for good: an unloaded model's instance). */
  remove(engine: ManagedLocalEngine): void {
    const key = `${engine.name}-${engine.port}`;
    if (this.engines.get(key) === engine) this.engines.delete(key);
  }

  /** The registered engines, in registration order. */
  list(): ManagedLocalEngine[] {
    return [...this.engines.values()];
  }

  /** The first registered engine with this name. */
  get(name: ManagedLocalEngine['name']): ManagedLocalEngine | undefined {
    return this.list().find((engine) => engine.name === name);
  }

  /**
   * The key the engine at `hostUrl` demands (`Authorization: Bearer`), if one of ours runs there with one:
   * what clients built for the server's own engines send (the library factory's `hostKeys`).
   */
  apiKeyFor(hostUrl: string): string | undefined {
    return this.list().find((engine) => engine.url === hostUrl)?.apiKey;
  }

  /** Status snapshots of every engine. */
  statuses(): EngineStatus[] {
    return this.list().map((engine) => engine.status());
  }

  /** Stops every engine in parallel; resolves when all are stopped (a failing stop is reported, not thrown). */
  async stopAll(): Promise<void> {
    await Promise.allSettled(this.list().map((engine) => engine.stop()));
  }

  /**
   * Stops the engines when the server goes away:
   * - on each of `signals`: `stopAll()` (graceful: SIGTERM, SIGKILL after the grace period), then exit
   *   unless `exitAfterSignal` is false;
   * - on the process `exit` event (normal exit, `process.exit()` from elsewhere): SIGTERM to each engine,
   *   synchronously (nothing asynchronous runs there); the engine watchdog escalates to SIGKILL.
   * A server killed with SIGKILL runs no handler at all: the engine watchdog covers that case.
   * Returns a function that removes the handlers. Installing twice replaces the first installation.
   */
  installExitHandlers(proc: NodeJS.Process = process, options: ExitHandlerOptions = {}): () => void {
    this.uninstall?.();
    const signals = options.signals ?? ['SIGINT', 'SIGTERM', 'SIGHUP'];
    const exitAfterSignal = options.exitAfterSignal ?? true;
    let stoppingForSignal = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stoppingForSignal) return;
      stoppingForSignal = true;
      void this.stopAll().finally(() => {
        if (exitAfterSignal) proc.exit(128 + (SIGNAL_NUMBERS[signal] ?? 0));
      });
    };
    const onExit = () => {
      for (const engine of this.list()) engine.killNow();
    };
    for (const signal of signals) proc.on(signal, onSignal);
    proc.on('exit', onExit);
    const uninstall = () => {
      for (const signal of signals) proc.off(signal, onSignal);
      proc.off('exit', onExit);
      if (this.uninstall === uninstall) this.uninstall = undefined;
    };
    this.uninstall = uninstall;
    return uninstall;
  }
}
