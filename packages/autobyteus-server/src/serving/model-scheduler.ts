/**
 * The pure decisions of multi-model serving: which loaded models to evict for a new one, whether it
 * fits at all, and which idle models have expired. No clocks, processes or I/O: the caller passes the
 * state and the time, and carries out the plan (`model-server.ts`).
 */

/** One loaded (or loading) model as the scheduler sees it. */
export interface LoadedModel {
  id: string;
  /** Models of one engine share its `modelsMax` slots. */
  engine: string;
  /** Estimated memory of the loaded model. */
  memoryBytes: number;
  /** When a request last used it (ms); the least recently used is evicted first. */
  lastUsedAt: number;
  /** Requests being served now: a busy model is never evicted. */
  inFlight: number;
  pinned: boolean;
  /** Still loading: not evictable (its waiters would fail). */
  loading: boolean;
  /** When it unloads if still idle (ms), or null for never. */
  expiresAt: number | null;
}

/** What a new model needs. */
export interface LoadRequest {
  id: string;
  engine: string;
  memoryBytes: number;
}

/** The limits loads must stay within. */
export interface SchedulerLimits {
  /** Most models loaded at once, per engine (an engine without an entry is unlimited). */
  modelsMax: Readonly<Record<string, number>>;
  /** Memory all loaded models may take together. */
  memoryBudgetBytes: number;
}

/** The scheduler's answer to "load this model". */
export type LoadPlan =
  /** Load it, after unloading `evict` (least recently used first). */
  | { kind: 'load'; evict: string[] }
  /** It would fit once busy models finish: wait for a request to end, then ask again. */
  | { kind: 'wait'; reason: string }
  /** It can never fit (or only by unloading pinned models): refuse with the numbers. */
  | { kind: 'refuse'; reason: string; neededBytes: number; budgetBytes: number; pinnedBytes: number };

/** Plans loading `request` given what is `loaded` now. A model already loaded needs nothing. */
export function planLoad(loaded: readonly LoadedModel[], request: LoadRequest, limits: SchedulerLimits): LoadPlan {
  if (loaded.some((m) => m.id === request.id)) return { kind: 'load', evict: [] };
  const budget = limits.memoryBudgetBytes;
  const pinnedBytes = sum(loaded.filter((m) => m.pinned).map((m) => m.memoryBytes));
  if (request.memoryBytes + pinnedBytes > budget) {
    return {
      kind: 'refuse',
      reason:
        pinnedBytes > 0
          ? `needs ${mib(request.memoryBytes)} but the memory budget is ${mib(budget)} and pinned models hold ${mib(pinnedBytes)}`
          : `needs ${mib(request.memoryBytes)} but the memory budget is ${mib(budget)}`,
      neededBytes: request.memoryBytes,
      budgetBytes: budget,
      pinnedBytes,
    };
  }
  const max = limits.modelsMax[request.engine] ?? Number.POSITIVE_INFINITY;
  const pinnedSameEngine = loaded.filter((m) => m.engine === request.engine && m.pinned).length;
  if (pinnedSameEngine >= max) {
    return {
      kind: 'refuse',
      reason: `${pinnedSameEngine} pinned ${request.engine} model(s) fill all ${max} slot(s) (raise the engine's models_max)`,
      neededBytes: request.memoryBytes,
      budgetBytes: budget,
      pinnedBytes,
    };
  }

  const evictable = loaded
    .filter((m) => !m.pinned && !m.loading && m.inFlight === 0)
    .sort((a, b) => a.lastUsedAt - b.lastUsedAt || a.id.localeCompare(b.id));
  const evict: string[] = [];
  let count = loaded.filter((m) => m.engine === request.engine).length;
  let used = sum(loaded.map((m) => m.memoryBytes));
  const fits = () => count + 1 <= max && used + request.memoryBytes <= budget;
  // Same-engine models first when slots are short, so a full engine does not evict another engine's model.
  const order =
    count + 1 <= max
      ? evictable
      : [
          ...evictable.filter((m) => m.engine === request.engine),
          ...evictable.filter((m) => m.engine !== request.engine),
        ];
  for (const victim of order) {
    if (fits()) break;
    const slotShort = count + 1 > max;
    const memoryShort = used + request.memoryBytes > budget;
    if (slotShort && victim.engine !== request.engine && !memoryShort) continue;
    evict.push(victim.id);
    used -= victim.memoryBytes;
    if (victim.engine === request.engine) count -= 1;
  }
  if (fits()) return { kind: 'load', evict };
  const busy = loaded.filter((m) => !m.pinned && (m.loading || m.inFlight > 0)).map((m) => m.id);
  return {
    kind: 'wait',
    reason:
      count + 1 > max
        ? `all ${max} ${request.engine} slot(s) are busy (${busy.join(', ')})`
        : `needs ${mib(request.memoryBytes)}, ${mib(budget - used)} free until busy models finish (${busy.join(', ')})`,
  };
}

/** Loaded models whose idle time ran out at `now`: not pinned, not busy, not loading. */
export function expiredModels(loaded: readonly LoadedModel[], now: number): string[] {
  return loaded
    .filter((m) => !m.pinned && !m.loading && m.inFlight === 0 && m.expiresAt !== null && m.expiresAt <= now)
    .map((m) => m.id);
}

/** When a model used at `now` expires with `keepAliveMs` (negative: never; 0: as soon as it is idle). */
export function expiryAfter(keepAliveMs: number, now: number): number | null {
  return keepAliveMs < 0 ? null : now + keepAliveMs;
}

/** The earliest expiry among `loaded`, for the next timer (null: nothing expires). */
export function nextExpiry(loaded: readonly LoadedModel[]): number | null {
  const times = loaded.filter((m) => !m.pinned && m.expiresAt !== null).map((m) => m.expiresAt as number);
  return times.length ? Math.min(...times) : null;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Bytes as MiB with one decimal: the unit the refusal messages use. */
export function mib(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
