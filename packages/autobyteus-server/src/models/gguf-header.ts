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
  };
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function num(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}
