/**
 * Transfer rate over a sliding window (default 5 s), so a resumed prefix or an old burst does not skew
 * the figure shown to the user.
 */
export class RateMeter {
  private readonly samples: Array<{ at: number; bytes: number }> = [];

  constructor(private readonly windowMs = 5_000) {}

  /** Records the running byte count at time `at` (ms, default now) and returns bytes per second. */
  record(bytes: number, at: number = performance.now()): number {
    this.samples.push({ at, bytes });
    while (this.samples.length > 2 && at - this.samples[0]!.at > this.windowMs) this.samples.shift();
    return this.rate();
  }

  /** Bytes per second over the window; 0 until two samples exist. */
  rate(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.at <= first.at) return 0;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  }

  /** Forgets history (after a restart from byte 0). */
  reset(): void {
    this.samples.length = 0;
  }
}
