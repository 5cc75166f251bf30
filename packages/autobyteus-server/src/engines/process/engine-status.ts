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
