import { basename } from 'node:path';
import { parseRecordHeader } from './log-record-format.js';

/** One summary line for the log at info: what an engine's load is doing. */
export interface LoadSummary {
  message: string;
  fields: Record<string, number | string>;
}

/**
 * What llama-server prints about a load at its default verbosity (checked against the llama-server
 * the test suite builds, node-llama-cpp 3.21.1's llama.cpp):
 * `0.00.033.712 I srv    load_model: loading model '/path/model.gguf'`,
 * `0.02.555.369 I srv    load_model: initializing, n_slots = 4, n_ctx_slot = 4096, kv_unified = 'true'`,
 * `0.02.569.389 I srv  llama_server: model loaded`. It prints no percentage (the tensor-loading dots
 * of older builds are gone, and were one per progress step, not per percent), so the summary is the
 * start and the end of the load, not a progress bar. mlx_lm.server loads its model on the first
 * request, which the readiness probe sends, so "engine ready" is its summary.
 */
const LOADING = /\bload_model: loading model '([^']+)'/;
const INITIALIZING = /\bn_slots = (\d+), n_ctx_slot = (\d+)/;
const LOADED = /\bmodel loaded\s*$/;
/** llama.cpp's record timestamp: minutes.seconds.milliseconds.microseconds since the process started. */
const LLAMA_TIME = /^(\d+)\.(\d{2})\.(\d{3})\.(\d{3}) /;

/**
 * Reads an engine's output lines and says, at most twice per load, what the load is doing:
 * `loading SmolLM2-135M-Instruct.Q4_1.gguf`, then `SmolLM2-135M-Instruct.Q4_1.gguf loaded in 2.5 s`.
 * The duration is the engine's own clock where its lines carry one, else the time the lines were
 * read. One instance per output stream; pure apart from its state (times are passed in).
 */
export class LoadProgress {
  private model: string | undefined;
  private startedAt = 0;
  private slots: { slots: number; ctxPerSlot: number } | undefined;

  /** The summary `line` (read at `at`, ms) gives, if any. */
  line(line: string, at: number): LoadSummary | undefined {
    const header = parseRecordHeader(line);
    const text = header ? line.slice(header.length) : line;
    const time = engineTimeMs(line) ?? at;
    const loading = LOADING.exec(text);
    if (loading) {
      this.model = basename(loading[1] ?? '') || 'model';
      this.startedAt = time;
      this.slots = undefined;
      return { message: `loading ${this.model}`, fields: {} };
    }
    if (this.model === undefined) return undefined;
    const slots = INITIALIZING.exec(text);
    if (slots) {
      this.slots = { slots: Number(slots[1]), ctxPerSlot: Number(slots[2]) };
      return undefined;
    }
    if (LOADED.test(text)) {
      const seconds = Math.max(0, time - this.startedAt) / 1000;
      const summary = {
        message: `${this.model} loaded in ${seconds.toFixed(1)} s`,
        fields: { ...(this.slots ?? {}) },
      };
      this.model = undefined;
      return summary;
    }
    return undefined;
  }
}

/** The time in a llama.cpp record header, in ms since the engine started. */
function engineTimeMs(line: string): number | undefined {
  const match = LLAMA_TIME.exec(line);
  if (!match) return undefined;
  const [, minutes, seconds, millis, micros] = match.map(Number) as [number, number, number, number, number];
  return (minutes * 60 + seconds) * 1000 + millis + micros / 1000;
}
