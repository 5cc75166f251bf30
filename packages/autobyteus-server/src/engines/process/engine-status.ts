import type { Logger } from 'pino';
import type { EngineName } from '../specs/engine-name.js';

/**
 * Life cycle of a managed engine process:
 * `stopped → starting → ready → stopping → stopped`, and `failed` (with a reason) from `starting`
 * or after crash restarts were given up. A crash while `ready` goes back to `starting` (restart).
 */
export type EngineState = 'stopped' | 'starting' | 'ready' | 'stopping' | 'failed';

/** A point-in-time snapshot of a managed engine, safe to serialise (admin API, CLI). */
export interface EngineStatus {
  name: EngineName;
  state: EngineState;
  /** Process id of the running (or adopted) engine. */
  pid?: number;
  port: number;
  /** Base URL clients use (the configured host URL). */
  url: string;
  /** Crash restarts since the last explicit `start()`. */
  restarts: number;
  /** True when the process was found already running (PID file + open port) and adopted, not spawned. */
  adopted: boolean;
  /** Why the engine failed or last crashed. */
  lastError?: string;
  /** ISO time the current process was launched or adopted. */
  startedAt?: string;
  /** ISO time the current process was found ready. */
  readyAt?: string;
}

/** Called synchronously on every state change, with the new snapshot and the state left. */
export type StateChangeListener = (status: EngineStatus, previous: EngineState) => void;

/** One line of engine output, after prompt redaction. */
export interface EngineOutputLine {
  stream: 'stdout' | 'stderr';
  text: string;
  /** `Date.now()` when the manager read the line. */
  at: number;
}

/** Called for every line the engine prints (after redaction). */
export type OutputListener = (line: EngineOutputLine) => void;

/**
 * Resolves with the status once the engine is `ready`; rejects when it ends `failed` or is stopped first.
 * `subscribe` is the engine's `onStateChange`.
 */
export function whenSettled(name: EngineName, subscribe: (listener: StateChangeListener) => () => void) {
  return new Promise<EngineStatus>((resolve, reject) => {
    const off = subscribe((status) => {
      if (status.state === 'ready') {
        off();
        resolve(status);
      } else if (status.state === 'failed') {
        off();
        reject(new Error(`${name} engine failed: ${status.lastError ?? 'unknown reason'}`));
      } else if (status.state === 'stopped' || status.state === 'stopping') {
        off();
        reject(new Error(`${name} engine was stopped before it became ready`));
      }
    });
  });
}

/** Tells every listener of a state change; one that throws is logged and the others still hear of it. */
export function notifyListeners(
  listeners: Iterable<StateChangeListener>,
  status: EngineStatus,
  previous: EngineState,
  log: Logger,
): void {
  for (const listener of listeners) {
    try {
      listener(status, previous);
    } catch (error) {
      log.warn({ err: error }, 'state listener threw');
    }
  }
}
