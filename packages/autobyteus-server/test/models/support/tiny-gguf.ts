/**
 * A minimal valid GGUF (v3) file: no tensors, the given string metadata (general.architecture = llama by
 * default), padded with zeros to `size` bytes when asked, so pulls can be tested without a real model.
 */
export function tinyGguf(options: { size?: number; metadata?: Record<string, string> } = {}): Buffer {
  const metadata = { 'general.architecture': 'llama', 'general.name': 'tiny', ...options.metadata };
  const parts: Buffer[] = [Buffer.from('GGUF'), u32(3), u64(0), u64(Object.keys(metadata).length)];
  for (const [key, value] of Object.entries(metadata)) parts.push(str(key), u32(8), str(value));
  const header = Buffer.concat(parts);
  const size = Math.max(options.size ?? 0, header.length);
  return Buffer.concat([header, Buffer.alloc(size - header.length)]);
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
}

function u64(value: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64LE(BigInt(value));
  return buffer;
}

function str(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  return Buffer.concat([u64(bytes.length), bytes]);
}
