/** How a managed engine is restarted after it crashes. */
export interface RestartPolicy {
  /** Restarts allowed in a row before giving up (state `failed`). */
  maxRestarts: number;
  /** Delay before the first restart; doubled for each further one. */
  baseDelayMs: number;
  /** Upper bound of the delay. */
  maxDelayMs: number;
  /**
   * A run that stayed ready this long clears the count of restarts in a row, so an engine that
   * crashes once a day is restarted every time while one that crashes in a loop is given up on.
   */
  resetAfterMs: number;
}

/** 5 restarts in a row, 0.5 s, 1 s, 2 s, 4 s, 8 s apart (capped at 30 s); 5 stable minutes reset the count. */
export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  maxRestarts: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  resetAfterMs: 300_000,
};

/** Delay before restart number `attempt` (1-based): `baseDelayMs * 2^(attempt-1)`, capped at `maxDelayMs`. */
export function restartDelayMs(policy: RestartPolicy, attempt: number): number {
  const exponent = Math.max(0, attempt - 1);
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(exponent, 30));
}
