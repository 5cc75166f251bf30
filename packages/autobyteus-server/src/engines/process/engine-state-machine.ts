import type { EngineName } from '../specs/engine-name.js';
import type { EngineState } from './engine-status.js';

/**
 * Every legal state change of a managed engine, as data (`from: [to...]`). Staying in a state is not
 * a change and is not listed: a second crash restart while `starting` simply stays `starting`.
 *
 * - `stopped → starting`: `start()`.
 * - `starting → ready | failed`: the start attempt's outcome (a failed restart retries within `starting`).
 * - `ready → starting | failed`: a crash, restarted with back-off, or given up after `maxRestarts`.
 * - `starting | ready | failed → stopping`: `stop()` while a process still runs (after a failure it
 *   may not have exited yet); `→ stopped` directly when no process is left to wait for.
 * - `stopping → stopped`: the process is gone.
 * - `failed → starting`: `start()` again.
 */
export const ENGINE_TRANSITIONS: Readonly<Record<EngineState, readonly EngineState[]>> = {
  stopped: ['starting'],
  starting: ['ready', 'failed', 'stopping', 'stopped'],
  ready: ['starting', 'failed', 'stopping', 'stopped'],
  stopping: ['stopped'],
  failed: ['starting', 'stopping', 'stopped'],
};

/** Every engine state, in table order. */
export const ENGINE_STATES = Object.keys(ENGINE_TRANSITIONS) as EngineState[];

/** True when the table allows moving from `from` to `to`. */
export function isValidTransition(from: EngineState, to: EngineState): boolean {
  return ENGINE_TRANSITIONS[from].includes(to);
}

/** A state change the table does not allow: a bug in the manager, never a user error. */
export class IllegalTransitionError extends Error {
  constructor(
    readonly engine: EngineName,
    readonly from: EngineState,
    readonly to: EngineState,
  ) {
    super(
      `${engine} engine: illegal state change ${from} → ${to} (allowed from ${from}: ${ENGINE_TRANSITIONS[from].join(', ') || 'none'})`,
    );
    this.name = 'IllegalTransitionError';
  }
}

/** The current state of one engine, changed only through {@link transition}. */
export class EngineStateMachine {
  private current: EngineState = 'stopped';

  constructor(private readonly engine: EngineName) {}

  /** The current state. */
  get state(): EngineState {
    return this.current;
  }

  /** Moves to `to` and returns the state left; throws {@link IllegalTransitionError} when the table forbids it. */
  transition(to: EngineState): EngineState {
    const from = this.current;
    if (!isValidTransition(from, to)) throw new IllegalTransitionError(this.engine, from, to);
    this.current = to;
    return from;
  }
}
