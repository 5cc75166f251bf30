import type { HostHealth, LLMFactory, LLMModel } from 'autobyteus';
import type { ServerConfig } from '../config/server-config.js';
import type { ServerMetrics } from '../metrics/server-metrics.js';
import { anyWorthWaitingFor, chooseMember, type MemberLoad } from './choose-member.js';
import { type BreakerPolicy, type BreakerStatus, CircuitBreaker } from './circuit-breaker.js';
import { NoHostAvailableError, QueueFullError, QueueTimeoutError } from './routing-errors.js';

/** Settings of a {@link PoolDispatcher}. */
export interface DispatcherOptions {
  /** Requests that may wait per pool (0: none wait). */
  maxQueue: number;
  /** Longest wait in the queue. */
  queueWaitMs: number;
  breaker: BreakerPolicy;
  /** Health of the hosts from the last refresh (down or loading hosts are skipped). */
  health: () => readonly HostHealth[];
  now?: () => number;
  /** Told whenever a pool's queue length changes (metrics). */
  onQueueChange?: (pool: string, queued: number) => void;
  /** Told whenever a host's breaker changes state. */
  onBreakerChange?: (runtime: string, host: string, status: BreakerStatus) => void;
}

/** One request placed on one host: release it exactly once with how it went. */
export interface HostLease {
  model: LLMModel;
  /** `failed` counts against the host's breaker; `neutral` (client error, abort) does not. */
  release(outcome: 'ok' | 'failed' | 'neutral', reason?: string): void;
}

/** How often a queued request looks again even when no slot was freed. */
const RECHECK_MS = 1_000;

interface Waiter {
  wake: () => void;
}

/** The key of a host: one breaker and one in-flight count per runtime and host. */
export function hostKey(model: LLMModel): string {
  return `${model.runtime}@${model.hostUrl}`;
}

/**
 * Places requests on the hosts of a pool: least loaded relative to slots (`chooseMember`), skipping
 * hosts that are down, loading or kept out by their circuit breaker; when every slot is busy the
 * request waits in a bounded FIFO queue per pool (a client that goes away leaves it at once).
 */
export class PoolDispatcher {
  private readonly inFlight = new Map<string, number>();
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly queues = new Map<string, Waiter[]>();
  /** Each model's host key, built once: a fresh string per lookup is hashed again by every map it meets. */
  private readonly keys = new WeakMap<LLMModel, string>();
  private healthCache: { list: readonly HostHealth[]; byKey: Map<string, HostHealth> } | undefined;
  private turn = 0;

  constructor(private readonly options: DispatcherOptions) {}

  private now(): number {
    return this.options.now?.() ?? Date.now();
  }

  /** The breaker of a host (created closed on first use). */
  breaker(runtime: string, host: string): CircuitBreaker {
    return this.breakerAt(`${runtime}@${host}`);
  }

  private breakerAt(key: string): CircuitBreaker {
    let breaker = this.breakers.get(key);
    if (!breaker) {
      breaker = new CircuitBreaker(this.options.breaker);
      this.breakers.set(key, breaker);
    }
    return breaker;
  }

  /** Breaker state of every host seen so far, for `/api/health`. */
  breakerStatuses(): Array<{ key: string; status: BreakerStatus }> {
    return [...this.breakers.entries()].map(([key, breaker]) => ({ key, status: breaker.status() }));
  }

  /** Requests in flight per host key. */
  load(key: string): number {
    return this.inFlight.get(key) ?? 0;
  }

  /**
   * A host of `members` for one request of `pool`, not one of `tried`. Waits in the pool's queue when
   * every usable host is busy; throws {@link QueueFullError}, {@link QueueTimeoutError} or
   * {@link NoHostAvailableError}, or the signal's reason when the client goes away.
   */
  async acquire(
    pool: string,
    members: readonly LLMModel[],
    tried: ReadonlySet<string>,
    signal: AbortSignal,
  ): Promise<HostLease> {
    const deadline = this.now() + this.options.queueWaitMs;
    let queuedAt: number | undefined;
    let waited = false;
    for (;;) {
      signal.throwIfAborted();
      const loads = this.loads(members);
      const pick = chooseMember(loads, tried, this.turn);
      if (pick) {
        const model = members.find((m) => this.keyOf(m) === pick.key) as LLMModel;
        // Takes the half-open probe when the host is on probation.
        if (this.breakerAt(pick.key).allow(this.now())) {
          this.turn += 1;
          return this.lease(model);
        }
        continue;
      }
      if (!anyWorthWaitingFor(loads, tried)) throw new NoHostAvailableError(pool, this.why(members, tried));
      const queue = this.queue(pool);
      if (queuedAt === undefined) {
        if (queue.length >= this.options.maxQueue) throw new QueueFullError(pool, queue.length);
        queuedAt = this.now();
      }
      const left = deadline - this.now();
      if (left <= 0) throw new QueueTimeoutError(pool, this.options.queueWaitMs);
      // Woken by a freed slot, or after a second anyway: a breaker's cool-down or a health refresh
      // can make a host usable without any request ending.
      await this.wait(pool, Math.min(left, RECHECK_MS), signal, queuedAt !== undefined && waited);
      waited = true;
    }
  }

  private lease(model: LLMModel): HostLease {
    const key = this.keyOf(model);
    this.inFlight.set(key, this.load(key) + 1);
    let released = false;
    return {
      model,
      release: (outcome, reason) => {
        if (released) return;
        released = true;
        this.inFlight.set(key, Math.max(0, this.load(key) - 1));
        const breaker = this.breakerAt(key);
        const before = breaker.state;
        if (outcome === 'ok') breaker.onSuccess();
        else if (outcome === 'failed') breaker.onFailure(this.now(), reason ?? 'request failed');
        if (breaker.state !== before) this.options.onBreakerChange?.(model.runtime, model.hostUrl, breaker.status());
        this.wakeAll();
      },
    };
  }

  private loads(members: readonly LLMModel[]): MemberLoad[] {
    const health = this.healthByKey();
    const now = this.now();
    return members.map((m) => {
      const key = this.keyOf(m);
      const h = health.get(key);
      const up = !h || (h.status !== 'down' && h.status !== 'loading');
      const slots = typeof m.metadata.totalSlots === 'number' && m.metadata.totalSlots > 0 ? m.metadata.totalSlots : 1;
      return {
        key,
        inFlight: this.load(key),
        slots,
        available: up && !m.stale && this.breakerAt(key).canTry(now),
      };
    });
  }

  private keyOf(model: LLMModel): string {
    let key = this.keys.get(model);
    if (key === undefined) {
      key = hostKey(model);
      this.keys.set(model, key);
    }
    return key;
  }

  /**
   * The hosts' health by host key. A scan of the list per member made a request O(members × hosts): 62 µs
   * per acquire for a pool of 100 hosts, 9 µs with this map and the cached keys (docs/performance.md,
   * section 9). The map is rebuilt only when the entries change. The factory hands out a new array every time, but the same entry objects until a
   * refresh or `markHostDown` replaces one, and the map holds those very objects.
   */
  private healthByKey(): Map<string, HostHealth> {
    const list = this.options.health();
    const cached = this.healthCache;
    if (cached && cached.list.length === list.length && cached.list.every((h, i) => h === list[i])) return cached.byKey;
    const byKey = new Map<string, HostHealth>();
    for (const h of list) {
      const key = `${h.runtime}@${h.hostUrl}`;
      // The first entry for a host wins, as the scan it replaces found it.
      if (!byKey.has(key)) byKey.set(key, h);
    }
    this.healthCache = { list, byKey };
    return byKey;
  }

  private why(members: readonly LLMModel[], tried: ReadonlySet<string>): string[] {
    const health = this.healthByKey();
    return members.map((m) => {
      const key = this.keyOf(m);
      if (tried.has(key)) return `${m.hostUrl} failed this request`;
      const breaker = this.breakerAt(key).status();
      if (breaker.state !== 'closed') return `${m.hostUrl} circuit ${breaker.state} (${breaker.reason ?? 'failures'})`;
      return `${m.hostUrl} ${health.get(key)?.status ?? (m.stale ? 'stale' : 'unknown')}`;
    });
  }

  private queue(pool: string): Waiter[] {
    let queue = this.queues.get(pool);
    if (!queue) {
      queue = [];
      this.queues.set(pool, queue);
    }
    return queue;
  }

  /** Waits in `pool`'s queue: at the back when new, back at the front when it already had its turn. */
  private wait(pool: string, timeoutMs: number, signal: AbortSignal, front: boolean): Promise<void> {
    const queue = this.queue(pool);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        const at = queue.indexOf(waiter);
        if (at >= 0) queue.splice(at, 1);
        this.options.onQueueChange?.(pool, queue.length);
        resolve();
      };
      const waiter: Waiter = { wake: done };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      if (front) queue.unshift(waiter);
      else queue.push(waiter);
      this.options.onQueueChange?.(pool, queue.length);
    });
  }

  /** A slot freed somewhere: the head of each queue tries again (in order, so the queue stays FIFO). */
  private wakeAll(): void {
    for (const queue of this.queues.values()) queue[0]?.wake();
  }
}

/** The dispatcher the configuration asks for, over `factory`'s host health, reporting to `metrics`. */
export function createDispatcher(
  config: ServerConfig,
  factory: LLMFactory,
  metrics?: Pick<ServerMetrics, 'queued' | 'hostState'>,
): PoolDispatcher {
  const v = config.values;
  const queuedBefore = new Map<string, number>();
  return new PoolDispatcher({
    maxQueue: v.AUTOBYTEUS_MAX_QUEUE,
    queueWaitMs: v.AUTOBYTEUS_QUEUE_WAIT_MS,
    breaker: { failureThreshold: v.AUTOBYTEUS_BREAKER_FAILURES, cooldownMs: v.AUTOBYTEUS_BREAKER_COOLDOWN_MS },
    health: () => factory.getHostHealth(),
    onQueueChange: (pool, queued) => {
      metrics?.queued(pool, queued - (queuedBefore.get(pool) ?? 0));
      queuedBefore.set(pool, queued);
    },
    onBreakerChange: (runtime, host, status) => {
      const health = factory.getHostHealth().find((h) => h.runtime === runtime && h.hostUrl === host);
      metrics?.hostState(runtime, host, health?.status === 'up', status.state);
    },
  });
}
