import { readFileSync } from 'node:fs';
import type { EngineName } from '../engines/specs/engine-name.js';
import type { ModelInstance } from './model-instance.js';

/** A local model's state in listings: loaded, loading, on disk only, or failed (with the reason). */
export type ModelState = 'loaded' | 'loading' | 'available' | 'failed';

/** One loaded (or loading) model as `models ps --json` and `GET /api/ps` show it. */
export interface LoadedModelView {
  id: string;
  engine: EngineName;
  state: 'loaded' | 'loading';
  pid?: number;
  port?: number;
  url?: string;
  /** The memory estimate the scheduler used. */
  estimatedBytes: number;
  /** Resident memory of the engine process now (Linux), when known. */
  rssBytes?: number;
  contextSize?: number;
  slots?: number;
  inFlight: number;
  pinned: boolean;
  /** Seconds since the last request ended (0 while busy). */
  idleSeconds: number;
  /** ISO time it unloads if left idle; null: never (pinned, keep_alive -1, or busy). */
  expiresAt: string | null;
  keepAliveMs: number;
  loadedAt?: string;
  /** How long the load took, in ms. */
  loadMs?: number;
}

/** Resident set size of `pid` from /proc (undefined elsewhere or when it is gone). */
export function residentBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The `models ps` view of `instance` at `now`. */
export function describeInstance(instance: ModelInstance, now: number): LoadedModelView {
  const status = instance.engine?.status();
  const pid = status?.pid;
  const rss = pid ? residentBytes(pid) : undefined;
  const contextSize = instance.engineFacts.contextSize ?? (instance.estimate.contextSize || undefined);
  return {
    id: instance.id,
    engine: instance.model.engine,
    state: instance.state,
    ...(pid ? { pid } : {}),
    ...(instance.port !== undefined ? { port: instance.port, url: instance.url } : {}),
    estimatedBytes: instance.estimate.totalBytes,
    ...(rss !== undefined ? { rssBytes: rss } : {}),
    ...(contextSize ? { contextSize } : {}),
    ...(instance.engineFacts.slots !== undefined ? { slots: instance.engineFacts.slots } : {}),
    inFlight: instance.inFlight,
    pinned: instance.pinned,
    idleSeconds: instance.inFlight > 0 ? 0 : Math.max(0, Math.round((now - instance.lastUsedAt) / 1000)),
    expiresAt: instance.pinned || instance.expiresAt === null ? null : new Date(instance.expiresAt).toISOString(),
    keepAliveMs: instance.keepAliveMs,
    ...(instance.loadedAt !== undefined
      ? { loadedAt: new Date(instance.loadedAt).toISOString(), loadMs: instance.loadedAt - instance.loadStartedAt }
      : {}),
  };
}
