import type { LLMFactory } from 'autobyteus';
import type { Logger } from 'pino';

/** While a host is loading its model, look again this soon rather than a full interval later. */
const LOADING_RECHECK_MS = 1000;

/**
 * Refreshes host health (and the model list) in the background so `/api/health` is current
 * without a reload. Refreshes never overlap; a host that is still loading is rechecked quickly.
 */
export class HealthMonitor {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private stopped = false;

  constructor(
    private readonly factory: LLMFactory,
    private readonly intervalMs: number,
    private readonly logger: Logger,
    /** Called after every refresh (metrics read the new host health). */
    private readonly onRefresh?: () => void,
  ) {}

  start(): void {
    if (this.intervalMs <= 0) return;
    this.stopped = false;
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    const loading = this.factory.getHostHealth().some((h) => h.status === 'loading');
    this.timer = setTimeout(
      () => this.refresh(),
      loading ? Math.min(LOADING_RECHECK_MS, this.intervalMs) : this.intervalMs,
    );
    this.timer.unref();
  }

  private refresh(): void {
    this.running = this.factory
      .reinitialize()
      .then(() => this.onRefresh?.())
      .catch((error: unknown) => this.logger.error({ err: error }, 'background health refresh failed'))
      .finally(() => {
        this.running = undefined;
        this.schedule();
      });
  }
}
