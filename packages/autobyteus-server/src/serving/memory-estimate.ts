import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import type { AttentionShape } from '../models/gguf-header.js';

/** How much memory a model is expected to take once loaded, and of what. */
export interface MemoryEstimate {
  /** The weights: the file's size (llama.cpp maps the tensors as they are stored). */
  weightsBytes: number;
  /** K and V for every token of the context, f16, in every layer. */
  kvCacheBytes: number;
  /** Compute buffers and the process itself. */
  overheadBytes: number;
  totalBytes: number;
  /** The context the KV cache was sized for. */
  contextSize: number;
}

/** Bytes per cached K or V element: llama-server's default cache type is f16. */
const KV_ELEMENT_BYTES = 2;
/** Compute buffers and the process: measured at ~40-60 MiB for small models on CPU; rounded up. */
const LLAMA_OVERHEAD_BYTES = 96 * 1024 * 1024;
/** A Python process with mlx and mlx-lm imported, before any weights. */
const MLX_OVERHEAD_BYTES = 320 * 1024 * 1024;

/**
 * The memory llama-server needs for a GGUF with `attention` (from its header) at `contextSize`
 * tokens: weights + KV cache + fixed overhead. Without the attention shape (an unknown
 * architecture) the KV cache is counted as a quarter of the weights, a deliberate over-estimate.
 */
export function estimateGgufMemory(input: {
  fileBytes: number;
  attention?: AttentionShape;
  contextSize: number;
}): MemoryEstimate {
  const { fileBytes, attention, contextSize } = input;
  const kvCacheBytes = attention
    ? attention.layers *
      contextSize *
      attention.kvHeads *
      (attention.keyLength + attention.valueLength) *
      KV_ELEMENT_BYTES
    : Math.ceil(fileBytes / 4);
  return total({ weightsBytes: fileBytes, kvCacheBytes, overheadBytes: LLAMA_OVERHEAD_BYTES, contextSize });
}

/** The memory mlx_lm.server needs for a model folder of `folderBytes` (its cache grows per request). */
export function estimateMlxMemory(input: { folderBytes: number; contextSize: number }): MemoryEstimate {
  return total({
    weightsBytes: input.folderBytes,
    kvCacheBytes: 0,
    overheadBytes: MLX_OVERHEAD_BYTES,
    contextSize: input.contextSize,
  });
}

function total(parts: Omit<MemoryEstimate, 'totalBytes'>): MemoryEstimate {
  return { ...parts, totalBytes: parts.weightsBytes + parts.kvCacheBytes + parts.overheadBytes };
}

/**
 * Memory the system can give a new process now: `MemAvailable` from /proc/meminfo (page cache it
 * can drop included), else `os.freemem()`.
 */
export function availableMemoryBytes(meminfoPath = '/proc/meminfo'): number {
  try {
    const match = /^MemAvailable:\s+(\d+)\s+kB/m.exec(readFileSync(meminfoPath, 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // Not Linux: fall through.
  }
  return freemem();
}
