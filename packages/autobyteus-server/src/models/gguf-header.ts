import { GGMLFileQuantizationType, gguf } from '@huggingface/gguf';

/** What a GGUF header says about the model (fields the file does not carry are absent). */
export interface GgufHeaderInfo {
  architecture?: string;
  /** `general.name`. */
  name?: string;
  /** `<arch>.context_length`: the trained context window. */
  contextLength?: number;
  /** `general.file_type` as its number ... */
  fileType?: number;
  /** ... and its llama.cpp name (`Q4_1`, `Q4_K_M`, ...). */
  fileTypeName?: string;
  /** Parameter count computed from the tensor shapes. */
  parameterCount?: number;
  /** `general.size_label` (`135M`, ...). */
  sizeLabel?: string;
  /** True when the header carries a chat template. */
  hasChatTemplate: boolean;
  /** Shape of the attention, for the KV-cache estimate (`<arch>.block_count`, `.embedding_length`, ...). */
  attention?: AttentionShape;
}

/** What the KV cache size depends on: layers, and keys/values per token per layer. */
export interface AttentionShape {
  layers: number;
  embeddingLength: number;
  heads: number;
  /** Key/value heads (grouped-query attention); equals `heads` when the header has none. */
  kvHeads: number;
  /** Width of one key head (default: embeddingLength / heads). */
  keyLength: number;
  valueLength: number;
}

/**
 * Reads a local GGUF file's header with `@huggingface/gguf` (it reads only the header and tensor table,
 * not the weights). Throws when the file is not GGUF.
 */
export async function readGgufHeader(path: string): Promise<GgufHeaderInfo> {
  const parsed = await gguf(path, { allowLocalFile: true, computeParametersCount: true });
  const metadata = parsed.metadata as Record<string, unknown>;
  const architecture = str(metadata['general.architecture']);
  const fileType = num(metadata['general.file_type']);
  return {
    architecture,
    name: str(metadata['general.name']),
    contextLength: architecture ? num(metadata[`${architecture}.context_length`]) : undefined,
    fileType,
    fileTypeName: fileType === undefined ? undefined : GGMLFileQuantizationType[fileType],
    parameterCount: parsed.parameterCount > 0 ? parsed.parameterCount : undefined,
    sizeLabel: str(metadata['general.size_label']),
    hasChatTemplate: typeof metadata['tokenizer.chat_template'] === 'string',
    attention: architecture ? attentionShape(metadata, architecture) : undefined,
  };
}

function attentionShape(metadata: Record<string, unknown>, arch: string): AttentionShape | undefined {
  const layers = num(metadata[`${arch}.block_count`]);
  const embeddingLength = num(metadata[`${arch}.embedding_length`]);
  const heads = maxOf(metadata[`${arch}.attention.head_count`]);
  if (!layers || !embeddingLength || !heads) return undefined;
  // Some architectures give the KV heads per layer (an array); the widest layer bounds the cache.
  const kvHeads = maxOf(metadata[`${arch}.attention.head_count_kv`]) ?? heads;
  const headWidth = Math.floor(embeddingLength / heads);
  return {
    layers,
    embeddingLength,
    heads,
    kvHeads,
    keyLength: num(metadata[`${arch}.attention.key_length`]) ?? headWidth,
    valueLength: num(metadata[`${arch}.attention.value_length`]) ?? headWidth,
  };
}

function maxOf(value: unknown): number | undefined {
  if (Array.isArray(value)) {
    const numbers = value.map(num).filter((n): n is number => n !== undefined);
    return numbers.length ? Math.max(...numbers) : undefined;
  }
  return num(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}
