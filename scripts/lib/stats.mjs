// Order statistics and rounding for benchmark results. Each benchmark keeps the quantile rule it has
// always reported with, so numbers stay comparable with the ones in docs/performance.md.

/** The median; the mean of the two middle values for an even count. */
export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The value at index floor(q * n) of the sorted values (the upper middle for q = 0.5 and an even n). */
export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Nearest-rank summary: n, p50, p95, max, min (rank ceil(q * n)), each rounded to 2 digits. */
export function rankSummary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
  return {
    n: sorted.length,
    p50: round(at(0.5)),
    p95: round(at(0.95)),
    max: round(sorted[sorted.length - 1]),
    min: round(sorted[0]),
  };
}

/** `x` to `digits` decimals; null for a missing or NaN value (so JSON shows null, not a guess). */
export function round(x, digits = 2) {
  return x == null || Number.isNaN(x) ? null : Number(x.toFixed(digits));
}
