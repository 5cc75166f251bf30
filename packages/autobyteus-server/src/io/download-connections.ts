/**
 * When to open another ranged connection: one stream first, more only while they pay. Over a fast
 * link the local CPU is the limit and every extra connection costs more than it brings (more, smaller
 * reads); behind a per-connection cap (as CDNs set) each one adds its cap. So: measure one connection
 * for a window; if it is below `fastBytesPerSec`, double the count (up to the maximum) for as long as
 * each step raises the aggregate rate by `minGain`; the first step that does not is taken back, and the
 * count then stays where it is. Doubling reaches 4 connections after two windows, not three: the
 * windows at fewer connections are what probing costs behind a cap.
 */
export interface ConnectionProbe {
  /**
   * Length of one measurement window (default 500 ms: long enough for a new connection's TCP slow start
   * at tens of ms of round trip, short enough that probing costs little).
   */
  windowMs: number;
  /** Fraction the aggregate rate must rise by for an added connection to stay (default 0.2). */
  minGain: number;
  /** A single connection at least this fast is kept alone (default 200 MB/s: the CPU is the limit there). */
  fastBytesPerSec: number;
}

export const DEFAULT_CONNECTION_PROBE: ConnectionProbe = {
  windowMs: 500,
  minGain: 0.2,
  fastBytesPerSec: 200e6,
};

/** Where the probing stands; a new one is made by {@link startProbe}, advanced by {@link nextProbe}. */
export interface ProbeState {
  /** Connections wanted now. */
  connections: number;
  /** Most connections allowed. */
  max: number;
  /** No more changes. */
  settled: boolean;
  /** Start of the current window (ms) and the byte count then. */
  windowAt: number;
  windowBytes: number;
  /** Aggregate rate (bytes/s) at `kept` connections; undefined before the first window. */
  best: number | undefined;
  /** The count the latest step started from: where a step that does not pay goes back to. */
  kept: number;
}

/** One connection, measuring from `at` when `bytes` were in. */
export function startProbe(max: number, at: number, bytes: number): ProbeState {
  return { connections: 1, max, settled: max <= 1, windowAt: at, windowBytes: bytes, best: undefined, kept: 1 };
}

/**
 * The state after a sample of the running byte count (`bytes` received at `at` ms, all connections
 * together). Pure: the same inputs give the same decision. Nothing changes until a window has passed.
 */
export function nextProbe(state: ProbeState, at: number, bytes: number, probe: ConnectionProbe): ProbeState {
  if (state.settled || at - state.windowAt < probe.windowMs) return state;
  const rate = ((bytes - state.windowBytes) * 1000) / (at - state.windowAt);
  const next = { ...state, windowAt: at, windowBytes: bytes };
  const double = Math.min(state.max, state.connections * 2);
  if (state.best === undefined) {
    // The single connection's window.
    if (rate >= probe.fastBytesPerSec || state.max <= 1) return { ...next, best: rate, settled: true };
    return { ...next, best: rate, kept: 1, connections: double };
  }
  if (rate >= state.best * (1 + probe.minGain)) {
    const more = state.connections < state.max;
    return { ...next, best: rate, kept: state.connections, connections: double, settled: !more };
  }
  return { ...next, connections: state.kept, settled: true };
}
