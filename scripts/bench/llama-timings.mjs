// The per-request timings llama-server writes to its log, which the tokens part subtracts from the
// client's time to get what the client adds.

/**
 * The timing lines llama-server logs per request (`slot print_timing: ... | prompt eval time = ...`,
 * `eval time = X ms / N tokens (... Y tokens per second)`, `total time = Z ms`); the last request's.
 */
export function serverTimingsIn(text) {
  const num = (re) => {
    const all = [...text.matchAll(re)];
    return all.length ? Number(all.at(-1)[1]) : undefined;
  };
  return {
    promptMs: num(/prompt eval time\s*=\s*([\d.]+) ms/g),
    evalMs: num(/(?<!prompt )eval time\s*=\s*([\d.]+) ms/g),
    perSecond: num(/(?<!prompt )eval time\s*=.*?([\d.]+) tokens per second/g),
    totalMs: num(/total time\s*=\s*([\d.]+) ms/g),
  };
}
