// The stub engine's two modes for scripts/bench-gateway.mjs: tokens per answer and the gap between tokens.

/** paced: 64 tokens 2 ms apart (an engine slower than the gateway); flat: 256 tokens in one write. */
export const STUB_MODES = { paced: { tokens: 64, gapMs: 2 }, flat: { tokens: 256, gapMs: 0 } };
