import { describe, expect, it } from 'vitest';
import {
  expiredModels,
  expiryAfter,
  type LoadedModel,
  nextExpiry,
  planLoad,
} from '../../src/serving/model-scheduler.js';

const MiB = 1024 * 1024;
const loaded = (id: string, over: Partial<LoadedModel> = {}): LoadedModel => ({
  id,
  engine: 'llama-cpp',
  memoryBytes: 100 * MiB,
  lastUsedAt: 0,
  inFlight: 0,
  pinned: false,
  loading: false,
  expiresAt: null,
  ...over,
});
const request = (id: string, memoryBytes = 100 * MiB, engine = 'llama-cpp') => ({ id, engine, memoryBytes });
const limits = (max = 2, budget = 10_000 * MiB) => ({
  modelsMax: { 'llama-cpp': max, mlx: 1 },
  memoryBudgetBytes: budget,
});

describe('planLoad', () => {
  it('loads without evicting while slots and memory are free', () => {
    expect(planLoad([loaded('a')], request('b'), limits())).toEqual({ kind: 'load', evict: [] });
  });

  it('needs nothing for a model already loaded', () => {
    expect(planLoad([loaded('a'), loaded('b')], request('a'), limits(2))).toEqual({ kind: 'load', evict: [] });
  });

  it('evicts the least recently used model when the slots are full', () => {
    const state = [loaded('a', { lastUsedAt: 30 }), loaded('b', { lastUsedAt: 10 })];
    expect(planLoad(state, request('c'), limits(2))).toEqual({ kind: 'load', evict: ['b'] });
  });

  it('never evicts a pinned model, and refuses when pinned models fill every slot', () => {
    const state = [loaded('a', { lastUsedAt: 1, pinned: true }), loaded('b', { lastUsedAt: 50 })];
    expect(planLoad(state, request('c'), limits(2))).toEqual({ kind: 'load', evict: ['b'] });
    const plan = planLoad([loaded('a', { pinned: true })], request('c'), limits(1));
    expect(plan.kind).toBe('refuse');
  });

  it('waits instead of evicting a busy or loading model', () => {
    const state = [loaded('a', { inFlight: 1 }), loaded('b', { loading: true })];
    const plan = planLoad(state, request('c'), limits(2));
    expect(plan).toMatchObject({ kind: 'wait' });
    expect((plan as { reason: string }).reason).toContain('a, b');
  });

  it('evicts by memory across engines when the budget is short', () => {
    const state = [
      loaded('mlx-model', { engine: 'mlx', memoryBytes: 400 * MiB, lastUsedAt: 1 }),
      loaded('a', { memoryBytes: 300 * MiB, lastUsedAt: 5 }),
    ];
    const plan = planLoad(state, request('b', 300 * MiB), limits(3, 800 * MiB));
    expect(plan).toEqual({ kind: 'load', evict: ['mlx-model'] });
  });

  it('does not evict another engine for a slot shortage alone', () => {
    const state = [loaded('mlx-model', { engine: 'mlx', lastUsedAt: 1 }), loaded('a', { lastUsedAt: 5 })];
    expect(planLoad(state, request('b'), limits(1))).toEqual({ kind: 'load', evict: ['a'] });
  });

  it('refuses a model larger than the whole budget, with the numbers', () => {
    const plan = planLoad([], request('huge', 900 * MiB), limits(2, 500 * MiB));
    expect(plan).toEqual({
      kind: 'refuse',
      reason: 'needs 900.0 MiB but the memory budget is 500.0 MiB',
      neededBytes: 900 * MiB,
      budgetBytes: 500 * MiB,
      pinnedBytes: 0,
    });
  });

  it('counts pinned memory as not available', () => {
    const plan = planLoad(
      [loaded('p', { pinned: true, memoryBytes: 300 * MiB })],
      request('x', 300 * MiB),
      limits(3, 500 * MiB),
    );
    expect(plan).toMatchObject({ kind: 'refuse', pinnedBytes: 300 * MiB });
    expect((plan as { reason: string }).reason).toContain('pinned models hold 300.0 MiB');
  });
});

describe('expiry', () => {
  it('expires idle, unpinned, loaded models whose time has come', () => {
    const state = [
      loaded('due', { expiresAt: 100 }),
      loaded('later', { expiresAt: 200 }),
      loaded('busy', { expiresAt: 50, inFlight: 2 }),
      loaded('pinned', { expiresAt: 50, pinned: true }),
      loaded('never', { expiresAt: null }),
    ];
    expect(expiredModels(state, 150)).toEqual(['due']);
    expect(nextExpiry(state)).toBe(50);
  });

  it('derives expiry from keep_alive: negative never, zero at once', () => {
    expect(expiryAfter(-1, 1000)).toBeNull();
    expect(expiryAfter(0, 1000)).toBe(1000);
    expect(expiryAfter(5000, 1000)).toBe(6000);
  });
});
