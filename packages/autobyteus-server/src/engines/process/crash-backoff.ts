import { type RestartPolicy, restartDelayMs } from './restart-policy.js';

/** What to do after a crash: restart after a delay, or give up. */
export type CrashDecision = { restart: true; attempt: number; delayMs: number } | { restart: false; inARow: number };

/** Counts crash restarts against a {@link RestartPolicy}: all since `start()`, and those in a row. */
export class CrashBackoff {
  private total = 0;
  private inARow = 0;

  constructor(private readonly policy: RestartPolicy) {}

  /** Restarts since the last {@link reset}. */
  get restarts(): number {
    return this.total;
  }

  /** A fresh `start()`: no restarts yet. */
  reset(): void {
    this.total = 0;
    this.inARow = 0;
  }

  /**
   * Decides after a crash. `readyForMs` is how long the crashed process had been ready (undefined if
   * it never was): a run that stayed up for `resetAfterMs` clears the count in a row first.
   */
  afterCrash(readyForMs: number | undefined): CrashDecision {
    if (readyForMs !== undefined && readyForMs >= this.policy.resetAfterMs) this.inARow = 0;
    if (this.inARow >= this.policy.maxRestarts) return { restart: false, inARow: this.inARow };
    this.inARow++;
    this.total++;
    return { restart: true, attempt: this.inARow, delayMs: restartDelayMs(this.policy, this.inARow) };
  }
}
