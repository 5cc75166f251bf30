/**
 * A circuit breaker for one host, as data: `closed` (requests flow) → `open` after
 * `failureThreshold` failures in a row (requests skip the host) → `half_open` once `cooldownMs` has
 * passed (one probe request may go) → `closed` when it succeeds, `open` again (a fresh cool-down)
 * when it fails.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** What happened to the host, as the breaker hears it. */
export type BreakerEvent = 'failure' | 'success' | 'cooldown_over' | 'threshold_reached';

/** Every legal move: `state → event → next state`; anything else is refused. */
export const BREAKER_TRANSITIONS: Readonly<Record<BreakerState, Partial<Record<BreakerEvent, BreakerState>>>> = {
  closed: { failure: 'closed', success: 'closed', threshold_reached: 'open' },
  open: { cooldown_over: 'half_open' },
  half_open: { success: 'closed', failure: 'open' },
};

/** Settings of a {@link CircuitBreaker}. */
export interface BreakerPolicy {
  /** Failures in a row that open the breaker. */
  failureThreshold: number;
  /** Time an open breaker keeps the host out before one probe. */
  cooldownMs: number;
}

export const DEFAULT_BREAKER_POLICY: BreakerPolicy = { failureThreshold: 3, cooldownMs: 10_000 };

/** A snapshot for `/api/health` and metrics. */
export interface BreakerStatus {
  state: BreakerState;
  consecutiveFailures: number;
  /** Why it opened (the last failure). */
  reason?: string;
  /** ISO time an open breaker lets a probe through. */
  retryAt?: string;
}

/** One host's breaker; time comes from the caller so the logic is testable without waiting. */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private reason: string | undefined;

  constructor(private readonly policy: BreakerPolicy = DEFAULT_BREAKER_POLICY) {}

  get state(): BreakerState {
    return this.current;
  }

  /** Whether {@link allow} would let a request through at `now`, without taking the probe. */
  canTry(now: number): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open') return now - this.openedAt >= this.policy.cooldownMs;
    return !this.probing;
  }

  /**
   * Whether a request may go to the host at `now`. An open breaker whose cool-down is over moves to
   * `half_open` and lets exactly one request through as the probe.
   */
  allow(now: number): boolean {
    if (this.current === 'open' && now - this.openedAt >= this.policy.cooldownMs) this.move('cooldown_over');
    if (this.current === 'closed') return true;
    if (this.current === 'half_open' && !this.probing) {
      this.probing = true;
      return true;
    }
    return false;
  }

  /** The request to the host worked. */
  onSuccess(): void {
    this.failures = 0;
    this.probing = false;
    this.reason = undefined;
    if (this.current !== 'open') this.move('success');
  }

  /** The request to the host failed in a way that says the host is unwell (not a client error). */
  onFailure(now: number, reason: string): void {
    this.failures += 1;
    this.reason = reason;
    this.probing = false;
    if (this.current === 'open') return;
    if (this.current === 'half_open' || this.failures >= this.policy.failureThreshold) {
      this.move(this.current === 'half_open' ? 'failure' : 'threshold_reached');
      this.openedAt = now;
      return;
    }
    this.move('failure');
  }

  status(): BreakerStatus {
    return {
      state: this.current,
      consecutiveFailures: this.failures,
      ...(this.reason ? { reason: this.reason } : {}),
      ...(this.current === 'open' ? { retryAt: new Date(this.openedAt + this.policy.cooldownMs).toISOString() } : {}),
    };
  }

  private move(event: BreakerEvent): void {
    const next = BREAKER_TRANSITIONS[this.current][event];
    if (!next) throw new Error(`circuit breaker: ${event} is not allowed while ${this.current}`);
    this.current = next;
  }
}
