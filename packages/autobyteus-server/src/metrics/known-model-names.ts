/**
 * The model names the server knows, answerable synchronously (a metric label is chosen on the request
 * path), refreshed from async sources: at start, on demand, and after a miss (a model pulled or a host
 * discovered since the last refresh is known from the next request on). Misses never refresh more
 * often than `minRefreshMs`, so a client sending unknown names cannot make the server re-read its
 * model list per request.
 */
export class KnownModelNames {
  private names = new Set<string>();
  private lastRefresh = Number.NEGATIVE_INFINITY;
  private refreshing: Promise<void> | undefined;

  constructor(
    private readonly sources: ReadonlyArray<() => Iterable<string> | Promise<Iterable<string>>>,
    private readonly options: { minRefreshMs?: number; now?: () => number; onError?: (error: unknown) => void } = {},
  ) {}

  /** Whether `name` was known at the last refresh; a miss schedules a refresh (rate-limited). */
  has(name: string): boolean {
    if (this.names.has(name)) return true;
    const now = this.options.now?.() ?? performance.now();
    if (now - this.lastRefresh >= (this.options.minRefreshMs ?? 5000)) void this.refresh();
    return false;
  }

  /** Re-reads every source; concurrent calls share one read. A failing source keeps the old names. */
  refresh(): Promise<void> {
    this.refreshing ??= this.read().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  private async read(): Promise<void> {
    this.lastRefresh = this.options.now?.() ?? performance.now();
    try {
      const next = new Set<string>();
      for (const source of this.sources) for (const name of await source()) next.add(name);
      this.names = next;
    } catch (error) {
      this.options.onError?.(error);
    }
  }
}
